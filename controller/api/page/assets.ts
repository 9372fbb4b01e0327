// The supervisor page's script and style (served from /static). Placeholder until the page lands.
export const SUPERVISOR_JS = '';
export const SUPERVISOR_CSS = '';
