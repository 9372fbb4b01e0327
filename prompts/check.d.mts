// Types for prompts/check.mjs, so TypeScript tests can import it.

export declare const MIN_PROMPT_SECONDS: number;
export declare const MIN_MUSIC_SECONDS: number;
export declare const SILENCE_RMS: number;

export interface WavInfo {
  error?: string;
  format?: number;
  channels?: number;
  sampleRate?: number;
  byteRate?: number;
  blockAlign?: number;
  bitsPerSample?: number;
  dataBytes?: number;
  truncated?: boolean;
  frames?: number;
  seconds?: number;
  rms?: number;
  peak?: number;
}

export declare function readWavInfo(buf: Buffer): WavInfo;

export interface CheckResult {
  /** The prompts folder that was checked. */
  dir: string;
  /** How many files the manifest expects (prompts x languages x rates + music x rates). */
  checked: number;
  /** Everything wrong; empty when the tree is complete and valid. */
  problems: string[];
  /** WAV files in the tree that the manifest does not list. */
  warnings: string[];
  /** Absolute paths of every expected file. */
  expected: string[];
}

export declare function checkPrompts(opts?: { dir?: string; manifest?: string }): CheckResult;
