/** One problem found in the configuration: where it is and what is wrong. */
export interface ConfigIssue {
  /**
   * Where the problem is: a path into the YAML file (`queues[1].callback.offerAfterSeconds`),
   * `env.NAME` for an environment variable, or `file` for the file as a whole.
   */
  readonly path: string;
  readonly message: string;
  /** Line in the YAML file (1-based) when the path points into it. */
  readonly line?: number;
}

/**
 * The configuration is invalid. Carries every issue found, not just the first, so an operator
 * fixes the file in one pass instead of one restart per typo.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const head = `invalid configuration${source ? ` (${source})` : ''}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super([head, ...issues.map((i) => `  - ${formatIssue(i)}`)].join('\n'));
    this.issues = Object.freeze([...issues]);
  }
}

/** Renders one issue as `path: message (line N)`. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message}${issue.line === undefined ? '' : ` (line ${issue.line})`}`;
}
