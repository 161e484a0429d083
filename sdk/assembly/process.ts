// What a process knows about itself.
//
// `Process.Id` is the process id: the `Target` of the messages it handles (set before every message).
// `Process.Owner` is the `From` of the message at slot 0. In AO the scheduler assigns slot 0 (Nonce 0)
// to the Process data item itself, the spawn message signed by the process's owner, so this is the
// owner. It is "" until slot 0 has been handled; no later message can change it. If the slot-0 message
// fails (its result is an error), the state it would have set is discarded with the rest of that
// message's effects, and the process stays without an owner: handlers must not fail on it.

export class Process {
  static Id: string = "";
  static Owner: string = "";
  /** Messages handled successfully so far (not counting the current one). */
  static Handled: u64 = 0;
}
