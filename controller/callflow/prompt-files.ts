// Turns prompt ids into the file paths FreeSWITCH plays. Paths are given without the rate
// folder: mod_sndfile (src/mod/formats/mod_sndfile/mod_sndfile.c) inserts the channel's rate
// (`<dir>/<lang>/8000/<id>.wav` for narrowband, `16000/` for wideband) before opening the
// literal path (prompts/README.md).
import type { Language } from '../config/types.js';
import type { PromptId } from './types.js';

/** Where a queue's prompts come from. */
export interface PromptSet {
  /** The prompts folder as FreeSWITCH sees it (config `prompts.directory`). */
  readonly directory: string;
  readonly language: Language;
  /** Prompt id → file or stream that replaces it for this queue. */
  readonly overrides: Readonly<Record<string, string>>;
}

/**
 * Characters that would break a `file_string://` list (`!` separates files) or an app
 * argument (play_and_get_digits splits its argument on spaces).
 */
const UNSAFE_PATH = /[!\s\0]/;

/** The file for one prompt id in this set. */
export function promptFile(set: PromptSet, id: PromptId): string {
  const override = set.overrides[id];
  // A greeting may name a file or stream instead of a prompt id.
  const isFile = id.startsWith('/') || id.includes('://');
  const path = override ?? (isFile ? id : `${set.directory}/${set.language}/${id}.wav`);
  if (UNSAFE_PATH.test(path)) throw new Error(`prompt ${id}: path ${JSON.stringify(path)} contains "!" or a control character`);
  return path;
}

/** One playback argument for several prompts in a row (`file_string://a!b`, mod_dptools.c). */
export function playbackArg(set: PromptSet, ids: readonly PromptId[]): string {
  const files = ids.map((id) => promptFile(set, id));
  if (files.length === 1) return files[0]!;
  return `file_string://${files.join('!')}`;
}
