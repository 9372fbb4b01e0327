// Queue configuration shared by the call-flow integration tests. Timers run at timeScale 0.01
// (1 s of config = 10 ms), FreeSWITCH-side prompt and menu times are scaled by the simulator.
export const NUMBER_RULES = `numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }`;
const CB = `dialTemplate: "loopback/cust-{number}", ${NUMBER_RULES}, menuTimeoutSeconds: 2, menuMaxTries: 2, entryMaxTries: 2`;

export const QUEUES_YAML = `
queues:
  - name: on-request
    extension: "8101"
    greeting: greeting-callback
    callback: { mode: on_request, ${CB} }
  - name: after-timeout
    extension: "8102"
    callback: { mode: after_timeout, offerAfterSeconds: 5, reofferAfterCancel: true, offerPrompt: can_order, ${CB} }
  - name: both
    extension: "8103"
    callback: { mode: both, offerAfterSeconds: 5, ${CB} }
  - name: first
    extension: "8104"
    maxWaitSeconds: 5
    overflow: { action: queue, queue: on-request }
    callback: { mode: "off" }
  - name: no-readback
    extension: "8105"
    language: uk
    callback: { mode: on_request, readBack: false, ${CB} }
  - name: announcing
    extension: "8106"
    callback: { mode: "off" }
    announce: { positionEverySeconds: 3 }
agents: []
`;
