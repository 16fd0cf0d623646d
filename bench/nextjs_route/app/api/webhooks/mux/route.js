// The original design's webhook route (app/api/webhooks/mux/route.ts), for the benchmark
// baseline: no signature check, no inbox, one UPDATE per event through node-postgres, as the
// design did through its Supabase client. Not part of the service.
import { Pool } from "pg";

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

export const dynamic = "force-dynamic";

export async function POST(request) {
  const event = await request.json();
  const data = event.data;
  if (event.type === "video.asset.ready") {
    await pool.query(
      "update lessons set status = 'published', mux_playback_id = $1 where mux_asset_id = $2",
      [data.playback_ids[0].id, data.id],
    );
  } else if (event.type === "video.upload.asset_created") {
    await pool.query(
      "update lessons set status = 'processing', mux_asset_id = $1 where mux_upload_id = $2",
      [data.asset_id, data.id],
    );
  } else {
    await pool.query("update lessons set updated_at = now() where mux_upload_id = $1", [
      data.upload_id ?? data.id,
    ]);
  }
  return Response.json({ received: true });
}
