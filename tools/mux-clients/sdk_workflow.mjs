// The video workflow through Mux's own Node SDK (@mux/mux-node), as an app would run it:
// create a direct upload, PUT a file to its URL, wait for the asset, list assets (page by
// page, following next_cursor), add and remove a playback id, delete the asset, and see a
// 404 for it afterwards. Prints one JSON summary line; exits non-zero on any failure.
//
//   MUX_BASE_URL=http://127.0.0.1:8090 MUX_TOKEN_ID=... MUX_TOKEN_SECRET=... \
//     node tools/mux-clients/sdk_workflow.mjs path/to/video.mp4
import { readFile } from "node:fs/promises";
import Mux from "@mux/mux-node";

const file = process.argv[2];
if (!file) {
  console.error("usage: node sdk_workflow.mjs <video file>");
  process.exit(2);
}

const mux = new Mux({
  baseURL: process.env.MUX_BASE_URL, // the emulator instead of https://api.mux.com
  tokenId: process.env.MUX_TOKEN_ID,
  tokenSecret: process.env.MUX_TOKEN_SECRET,
  maxRetries: 0,
});

async function until(what, check, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const upload = await mux.video.uploads.create({
  cors_origin: "*",
  new_asset_settings: { playback_policies: ["public"], passthrough: "sdk-workflow" },
});
const put = await fetch(upload.url, { method: "PUT", body: await readFile(file) });
if (!put.ok) throw new Error(`PUT to the upload URL answered ${put.status}`);

const assetId = await until("the upload's asset", async () => {
  const current = await mux.video.uploads.retrieve(upload.id);
  return current.asset_id;
});
const ready = await until("the asset to be ready", async () => {
  const asset = await mux.video.assets.retrieve(assetId);
  if (asset.status === "errored") throw new Error(`asset errored: ${JSON.stringify(asset.errors)}`);
  return asset.status === "ready" ? asset : null;
});

// Auto-pagination: one asset per page, so every next_cursor is followed.
const listed = [];
for await (const asset of mux.video.assets.list({ limit: 1 })) listed.push(asset.id);
const byUpload = await mux.video.assets.list({ upload_id: upload.id });
const uploads = await mux.video.uploads.list({ limit: 10 });

const signed = await mux.video.assets.createPlaybackId(assetId, { policy: "signed" });
const fetched = await mux.video.assets.retrievePlaybackId(assetId, signed.id);
await mux.video.assets.deletePlaybackId(assetId, signed.id);
const afterPlaybackDelete = await mux.video.assets.retrieve(assetId);

await mux.video.assets.delete(assetId);
let afterDelete;
try {
  await mux.video.assets.retrieve(assetId);
  afterDelete = { status: 200 };
} catch (error) {
  if (!(error instanceof Mux.APIError)) throw error;
  afterDelete = {
    status: error.status,
    not_found_error: error instanceof Mux.NotFoundError,
    body: error.error,
  };
}

console.log(
  JSON.stringify({
    upload_id: upload.id,
    upload_status: upload.status,
    asset_id: assetId,
    ready: { status: ready.status, duration: ready.duration, playback_ids: ready.playback_ids },
    listed,
    listed_by_upload: byUpload.data.map((asset) => asset.id),
    uploads_listed: uploads.data.map((u) => u.id),
    signed_playback_id: { created: signed, fetched },
    playback_ids_after_delete: afterPlaybackDelete.playback_ids.map((p) => p.id),
    after_delete: afterDelete,
  }),
);
