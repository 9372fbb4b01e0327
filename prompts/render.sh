#!/usr/bin/env bash
# Renders every prompt in prompts/manifest.json, for every language and rate, with espeak-ng and
# sox, into FreeSWITCH's layout:
#
#   prompts/<lang>/<rate>/<id>.wav     16-bit signed PCM, mono, rate = 8000 and 16000
#   prompts/music/<rate>/hold.wav      the hold-music loop (synthesized with sox, ~30 s)
#
# Usage:  prompts/render.sh            render everything (all languages + music)
#         prompts/render.sh uk ru      render only these languages (music is skipped)
#         prompts/render.sh music      render only the hold music
#
# Each language directory (and music/) is rebuilt in a staging directory and then swapped in, so a
# file whose id left the manifest disappears and a failed run leaves the old tree untouched.
# The output is deterministic for a given manifest, espeak-ng and sox version (sox runs with -R:
# fixed random seed, and -D: no dither), so re-rendering an unchanged manifest changes no bytes.
# At the end it runs prompts/check.mjs over the tree.
set -euo pipefail
export LC_ALL=C.UTF-8

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="$HERE/manifest.json"

die() { echo "render.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed (Debian/Ubuntu: apt-get install $2)"; }
need espeak-ng espeak-ng
need sox sox
need node nodejs
[[ -f "$MANIFEST" ]] || die "no manifest at $MANIFEST"

# sox options shared by every step: -R repeatable (fixed seeds), -D no dither, -V1 errors only.
SOX=(sox -R -D -V1)
OUT_FMT=(-b 16 -e signed-integer -c 1 -t wav)

# --- read the manifest (node validates it and prints NUL-separated records) --------------------
# languages: lang voice speed pitch          prompts: lang id text
read_manifest() {
  node --input-type=module - "$MANIFEST" "$1" <<'EOF'
import { readFileSync } from 'node:fs';
const [file, what] = process.argv.slice(2);
const fail = (m) => { process.stderr.write(`render.sh: manifest: ${m}\n`); process.exit(1); };
let m;
try { m = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { fail(`cannot parse ${file}: ${e.message}`); }
const langs = Object.keys(m.languages ?? {});
if (!langs.length) fail('no languages');
if (!Array.isArray(m.rates) || !m.rates.length) fail('no rates');
const seen = new Set();
for (const p of m.prompts ?? []) {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(p.id ?? '')) fail(`bad id ${JSON.stringify(p.id)}`);
  if (seen.has(p.id)) fail(`duplicate id ${p.id}`);
  seen.add(p.id);
  for (const l of langs) if (typeof p.text?.[l] !== 'string' || !p.text[l].trim()) fail(`${p.id}: no ${l} text`);
}
const out = [];
if (what === 'rates') out.push(...m.rates.map(String));
if (what === 'languages') for (const l of langs) { const v = m.languages[l]; out.push(l, v.voice, String(v.speed ?? 150), String(v.pitch ?? 50)); }
if (what === 'prompts') for (const p of m.prompts) for (const l of langs) out.push(l, p.id, p.tts?.[l] ?? p.text[l]);
if (what === 'music') for (const x of m.music ?? []) out.push(x.id);
process.stdout.write(out.map((s) => s + '\0').join(''));
EOF
}

mapfile -d '' RATES < <(read_manifest rates)
mapfile -d '' LANGREC < <(read_manifest languages)
mapfile -d '' PROMPTREC < <(read_manifest prompts)
mapfile -d '' MUSIC < <(read_manifest music)
(( ${#RATES[@]} )) || die "manifest: could not read the rates"

declare -A VOICE SPEED PITCH
ALL_LANGS=()
for ((i = 0; i < ${#LANGREC[@]}; i += 4)); do
  l=${LANGREC[i]}; ALL_LANGS+=("$l")
  VOICE[$l]=${LANGREC[i+1]}; SPEED[$l]=${LANGREC[i+2]}; PITCH[$l]=${LANGREC[i+3]}
done

# --- what to render -------------------------------------------------------------------------
LANGS=(); DO_MUSIC=0
if (( $# == 0 )); then
  LANGS=("${ALL_LANGS[@]}"); DO_MUSIC=1
else
  for a in "$@"; do
    if [[ $a == music ]]; then DO_MUSIC=1
    elif [[ -n ${VOICE[$a]+x} ]]; then LANGS+=("$a")
    else die "unknown language '$a' (manifest has: ${ALL_LANGS[*]} music)"; fi
  done
fi

# every voice must exist: a missing voice would silently fall back to another language
installed_voices="$(espeak-ng --voices | awk 'NR > 1 { print $2 }')"
for l in "${LANGS[@]}"; do
  grep -qxF -- "${VOICE[$l]}" <<<"$installed_voices" \
    || die "espeak-ng has no voice '${VOICE[$l]}' for language $l (see: espeak-ng --voices)"
done

STAGE="$(mktemp -d "$HERE/.render.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

# --- speech ---------------------------------------------------------------------------------
# espeak-ng writes 22050 Hz mono; sox trims leading/trailing silence (below -55 dBFS), resamples
# (high-quality), normalises the peak to -3 dBFS and pads 100 ms of silence at each end.
render_prompt() { # lang id text
  local lang=$1 id=$2 text=$3 raw="$STAGE/raw.wav" txt="$STAGE/text.txt" rate
  printf '%s\n' "$text" >"$txt"
  espeak-ng -v "${VOICE[$lang]}" -s "${SPEED[$lang]}" -p "${PITCH[$lang]}" -b 1 -f "$txt" -w "$raw" \
    || die "espeak-ng failed for $lang/$id"
  for rate in "${RATES[@]}"; do
    "${SOX[@]}" "$raw" "${OUT_FMT[@]}" "$STAGE/$lang/$rate/$id.wav" \
      silence 1 0.005 -55d reverse silence 1 0.005 -55d reverse \
      rate -h "$rate" norm -3 pad 0.1 0.1 \
      || die "sox failed for $lang/$rate/$id"
  done
}

declare -A WANT
for l in "${LANGS[@]}"; do
  WANT[$l]=1
  for rate in "${RATES[@]}"; do mkdir -p "$STAGE/$l/$rate"; done
done
n=0
for ((i = 0; i < ${#PROMPTREC[@]}; i += 3)); do
  l=${PROMPTREC[i]}
  [[ -n ${WANT[$l]+x} ]] || continue
  render_prompt "$l" "${PROMPTREC[i+1]}" "${PROMPTREC[i+2]}"
  n=$((n + 1))
done
(( ${#LANGS[@]} == 0 )) || echo "render.sh: rendered $n prompts x ${#RATES[@]} rates for: ${LANGS[*]} (voices: $(for l in "${LANGS[@]}"; do printf '%s=%s ' "$l" "${VOICE[$l]}"; done))"

# --- hold music -----------------------------------------------------------------------------
# A 30 s loop at 64 bpm: two 4-chord phrases, C Am F G | C Em F G, each chord one bar (3.75 s)
# of eight plucked eighth notes over a soft three-sine pad. Every note and pad chord starts and
# ends at zero level and the last chord (G) leads back to the first (C), so the file loops
# without a click. Pitches are semitones from A4 = 440 Hz (sox's %n notation).
render_hold() { # id
  local id=$1 dir="$STAGE/music.work" b=0 k=0 chord notes pad n
  local base=48000 note_len=0.46875 bar_len=3.75
  local -a arp_files=() pad_files=()
  local -a CHORDS=(
    "-9 -5 -2 3 7 3 -2 -5|-9 -5 -2"       # C   (C4 E4 G4 C5 E5 C5 G4 E4)
    "-12 -9 -5 0 3 0 -5 -9|-12 -9 -5"     # Am
    "-16 -12 -9 -4 0 -4 -9 -12|-16 -12 -9" # F
    "-14 -10 -7 -2 2 -2 -7 -10|-14 -10 -7" # G
    "-9 -5 -2 3 7 3 -2 -5|-9 -5 -2"       # C
    "-17 -14 -10 -5 -2 -5 -10 -14|-17 -14 -10" # Em
    "-16 -12 -9 -4 0 -4 -9 -4|-16 -12 -9"  # F
    "-14 -10 -7 -2 2 5 2 -2|-14 -10 -7"    # G (rising to lead back to C)
  )
  mkdir -p "$dir"
  for chord in "${CHORDS[@]}"; do
    notes=${chord%%|*}; pad=${chord#*|}
    for n in $notes; do
      arp_files+=("$dir/n$k.wav")
      "${SOX[@]}" -r $base -c 1 -n -b 16 "$dir/n$k.wav" synth $note_len pluck "%$n" \
        fade h 0.004 $note_len 0.15 vol 0.55
      k=$((k + 1))
    done
    read -r p1 p2 p3 <<<"$pad"
    pad_files+=("$dir/p$b.wav")
    "${SOX[@]}" -r $base -c 3 -n -c 1 -b 16 "$dir/p$b.wav" synth $bar_len sine "%$p1" sine "%$p2" sine "%$p3" \
      remix - fade h 0.6 $bar_len 0.6 vol 0.22
    b=$((b + 1))
  done
  "${SOX[@]}" "${arp_files[@]}" "$dir/arp.wav"
  "${SOX[@]}" "${pad_files[@]}" "$dir/pad.wav"
  "${SOX[@]}" -m "$dir/arp.wav" "$dir/pad.wav" "$dir/mix.wav" \
    highpass 150 lowpass 3000 lowpass 3000 fade h 0.05 -0 0.05 norm -10
  for rate in "${RATES[@]}"; do
    mkdir -p "$STAGE/music/$rate"
    "${SOX[@]}" "$dir/mix.wav" "${OUT_FMT[@]}" "$STAGE/music/$rate/$id.wav" rate -h "$rate" norm -10 \
      || die "sox failed for music/$rate/$id"
  done
  rm -rf "$dir"
}

if (( DO_MUSIC )); then
  for id in "${MUSIC[@]}"; do render_hold "$id"; done
  echo "render.sh: rendered music: ${MUSIC[*]}"
fi

# --- swap the staged trees in -----------------------------------------------------------------
swap_in() { # name
  rm -rf "$HERE/$1.old"
  if [[ -e "$HERE/$1" ]]; then mv "$HERE/$1" "$HERE/$1.old"; fi
  mv "$STAGE/$1" "$HERE/$1"
  rm -rf "$HERE/$1.old"
}
for l in "${LANGS[@]}"; do swap_in "$l"; done
if (( DO_MUSIC )); then swap_in music; fi

node "$HERE/check.mjs"
