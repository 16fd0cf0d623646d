"""The shared read model of lessons and courses: what every reader selects (`queries`) and the
JSON the front end gets (`to_json`), for the route handlers and the live streams alike."""
