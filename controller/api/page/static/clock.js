// The server's clock as the page sees it. Waits and "since" times count up between feed events
// on the server's clock, so a laptop whose clock is a minute off still shows true waits.
//
// Each snapshot's `at` was stamped when the server read the floor; it reaches us later (and a
// page that joins while others watch first gets the last snapshot sent, which may be minutes
// old: the feed sends only changes). So `at - now` is never above the true offset, and the
// largest one seen is the best estimate.
let offsetMs = -Infinity;

/** Called with each snapshot's `at` (ISO time). */
export function syncClock(at) {
  const t = Date.parse(at);
  if (Number.isFinite(t)) offsetMs = Math.max(offsetMs, t - Date.now());
}

/** Now on the server's clock, in ms. */
export function serverNow() {
  return Date.now() + (Number.isFinite(offsetMs) ? offsetMs : 0);
}
