"""An offline stand-in for the subset of the Mux Video API that mux-lessons uses.

`payloads` builds Mux's upload, asset and webhook-event objects in Mux's documented shapes;
`signing` signs webhook bodies exactly as Mux does.
"""
