// The outcome of one probe or hook action: success or failure, with its output for events and logs.

/** Success or failure of one run of a probe or lifecycle hook action, with the output (body, stdout+stderr or error text). */
export interface ActionOutcome {
  result: "success" | "failure";
  output: string;
}
