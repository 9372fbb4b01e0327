// Queue configuration shared by the call-flow integration tests. Timers run at timeScale 0.01
// (1 s of config = 10 ms), FreeSWITCH-side prompt and menu times are scaled by the simulator.
export const NUMBER_RULES = `numberRules: { minLength: 10, maxLength: 10, allow: ["0[0-9]{9}"] }`;
const CB = `dialTemplate: "loopback/cust-{number}", ${NUMBER_RULES}, menuTimeoutSeconds: 2, menuMaxTries: 2, entryMaxTries: 2`;

// Offer timers (after-timeout 20 s, both 30 s: 200 / 300 ms here) are long enough that a key
// pressed at the start of the greeting always comes first, short enough to wait for in a test.
// `first` overflows after 5 s (50 ms), during its greeting.
export const QUEUES_YAML = `
queues:
  - name: on-request
    extension: "8101"
    greeting: greeting-callback
    callback: { mode: on_request, ${CB} }
  - name: after-timeout
    extension: "8102"
    callback: { mode: after_timeout, offerAfterSeconds: 20, reofferAfterCancel: true, offerPrompt: can_order, ${CB} }
  - name: both
    extension: "8103"
    callback: { mode: both, offerAfterSeconds: 30, ${CB} }
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
    callback: { mode: on_request, ${CB} }
    announce: { positionEverySeconds: 10 }
  - name: waits
    extension: "8108"
    language: ru
    callback: { mode: on_request, ${CB} }
    announce: { positionEverySeconds: 10, estimatedWait: true }
  - name: eta
    extension: "8109"
    callback: { mode: on_request, ${CB} }
  - name: ukrainian
    extension: "8107"
    language: uk
    greeting: greeting-callback
    callback: { mode: on_request, ${CB} }
agents: []
`;
