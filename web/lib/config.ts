/**
 * Run-time configuration: read from the server's environment on each request (never inlined
 * at build time), so one `next build` serves any service URL, Supabase project or port.
 */

export interface RuntimeConfig {
  /** Base URL of the mux-lessons service (the author API and live status). */
  apiUrl: string;
  /** The Supabase project the app signs in with (supabase-js). */
  supabaseUrl: string;
  supabaseAnonKey: string;
  /**
   * Where to play videos from instead of Mux's stream host: `${playbackBaseUrl}/${playbackId}.mp4`
   * (the offline Mux emulator). Unset in production: the player is given the playback id.
   */
  playbackBaseUrl: string | null;
  /** Upload chunk size in KiB (a multiple of 256); unset lets the uploader choose. */
  uploadChunkSizeKb: number | null;
}

export type ConfigResult =
  | { ok: true; config: RuntimeConfig }
  | { ok: false; problems: string[] };

const REQUIRED = ["MUX_LESSONS_API_URL", "SUPABASE_URL", "SUPABASE_ANON_KEY"] as const;

function trimmed(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function url(env: NodeJS.ProcessEnv, name: string, problems: string[]): string | null {
  const value = trimmed(env, name);
  if (value === null) return null;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
  } catch {
    problems.push(`${name} must be an http(s) URL (got "${value}")`);
    return null;
  }
  return value.replace(/\/+$/, "");
}

/** Reads the configuration from the environment; `problems` names every missing or bad one. */
export function readRuntimeConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const problems: string[] = [];
  for (const name of REQUIRED) {
    if (trimmed(env, name) === null) problems.push(`${name} is not set`);
  }
  const apiUrl = url(env, "MUX_LESSONS_API_URL", problems);
  const supabaseUrl = url(env, "SUPABASE_URL", problems);
  const playbackBaseUrl = url(env, "MUX_PLAYBACK_BASE_URL", problems);
  const chunk = trimmed(env, "UPLOAD_CHUNK_SIZE_KB");
  let uploadChunkSizeKb: number | null = null;
  if (chunk !== null) {
    const value = Number(chunk);
    if (!Number.isInteger(value) || value < 256 || value % 256 !== 0) {
      problems.push(`UPLOAD_CHUNK_SIZE_KB must be a multiple of 256 (got "${chunk}")`);
    } else {
      uploadChunkSizeKb = value;
    }
  }
  const supabaseAnonKey = trimmed(env, "SUPABASE_ANON_KEY");
  if (problems.length > 0 || !apiUrl || !supabaseUrl || !supabaseAnonKey) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: { apiUrl, supabaseUrl, supabaseAnonKey, playbackBaseUrl, uploadChunkSizeKb },
  };
}
