/** status, version, uptime, create_uuid, hostname, eval, global_getvar, show channels/calls (a02). */
import type { ApiHandler } from './types.js';

export const systemApis: Record<string, ApiHandler> = {
  status: (_arg, env) => {
    const up = Date.now() - env.startedAt;
    const s = Math.floor(up / 1000);
    const live = env.core.channels.size;
    return (
      `UP 0 years, ${Math.floor(s / 86400)} days, ${Math.floor(s / 3600) % 24} hours, ${Math.floor(s / 60) % 60} minutes, ${s % 60} seconds, ${up % 1000} milliseconds, 0 microseconds\n` +
      `FreeSWITCH (Version 1.10.12-release  64bit) is ready\n` +
      `${env.sessionsSinceStartup} session(s) since startup\n` +
      `${live} session(s) - peak ${live}, last 5min ${live} \n` +
      `0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n` +
      `1000 session(s) max\nmin idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n`
    );
  },
  version: () => 'FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n',
  uptime: (_a, env) => `${Math.floor((Date.now() - env.startedAt) / 1000)}\n`,
  create_uuid: (_a, env) => env.core.newUuid(), // a02: no LF
  hostname: (_a, env) => env.core.id.hostname,
  // a02: `eval ${hostname}` → `vm` (no LF); a08: UTF-8 passes through
  eval: (arg, env) => (arg ?? '').replace(/\$\{hostname\}/g, env.core.id.hostname),
  global_getvar: () => '', // a02: an unknown global → empty output → `-ERR no reply`
  show: (arg, env) => {
    const words = (arg ?? '').trim().split(/\s+/);
    const what = (words[0] ?? '').toLowerCase();
    const asJson = /\bas json$/i.test(arg ?? '');
    if (what === 'channels' || what === 'calls') {
      const rows = what === 'channels' ? [...env.core.channels.values()] : [...env.core.channels.values()].filter((c) => c.bridgedTo);
      if (asJson) {
        if (rows.length === 0) return '{"row_count": 0}\n'; // a02
        const list = rows.map((c) => ({
          uuid: c.uuid, direction: c.profile.direction, created: new Date(c.times.created / 1000).toISOString(),
          created_epoch: String(Math.floor(c.times.created / 1e6)), name: c.name, state: c.runningState,
          cid_name: c.profile.callerIdName, cid_num: c.profile.callerIdNumber, ip_addr: '', dest: c.profile.destinationNumber,
          application: c.getVar('current_application') ?? '', application_data: c.getVar('current_application_data') ?? '',
          dialplan: 'XML', context: c.profile.context, read_codec: 'L16', read_rate: '8000', read_bit_rate: '128000',
          write_codec: 'L16', write_rate: '8000', write_bit_rate: '128000', secure: '', hostname: env.core.id.hostname,
          presence_id: '', presence_data: '', accountcode: '', callstate: c.callState, callee_name: '', callee_num: '',
          callee_direction: '', call_uuid: c.getVar('call_uuid') ?? '', sent_callee_name: '', sent_callee_num: '',
          initial_cid_name: c.profile.callerIdName, initial_cid_num: c.profile.callerIdNumber, initial_ip_addr: '',
          initial_dest: c.profile.destinationNumber, initial_dialplan: 'XML', initial_context: c.profile.context,
        }));
        return JSON.stringify({ row_count: list.length, rows: list }, null, 0) + '\n';
      }
      const head = 'uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,application_data,dialplan,context,callstate,call_uuid\n';
      const lines = rows.map((c) =>
        [c.uuid, c.profile.direction, '', String(Math.floor(c.times.created / 1e6)), c.name, c.runningState, c.profile.callerIdName,
          c.profile.callerIdNumber, '', c.profile.destinationNumber, c.getVar('current_application') ?? '',
          c.getVar('current_application_data') ?? '', 'XML', c.profile.context, c.callState, c.getVar('call_uuid') ?? ''].join(','),
      );
      return rows.length === 0 ? '\n0 total.\n' : `${head}${lines.join('\n')}\n\n${rows.length} total.\n`;
    }
    return `-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n`;
  },
};
