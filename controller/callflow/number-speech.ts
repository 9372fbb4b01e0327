// Quantities said with the prompt set's numbers (prompts/manifest.json "numbers"): 0-20 and
// the tens are recorded, so 0-99 is one or two files (42 → num-40, num-2); from 100 up the
// number is read digit by digit.
import type { PromptId } from './types.js';
import { digitsPrompts } from './prompts-for.js';

/** Prompt ids that say the whole number `n` (n ≥ 0). */
export function quantityPrompts(n: number): PromptId[] {
  const v = Math.max(0, Math.floor(n));
  if (v <= 20) return [`num-${v}`];
  if (v < 100) {
    const tens = Math.floor(v / 10) * 10;
    const ones = v % 10;
    return ones === 0 ? [`num-${tens}`] : [`num-${tens}`, `num-${ones}`];
  }
  return digitsPrompts(String(v));
}
