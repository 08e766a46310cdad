/**
 * What lab operations report progress through. The scenario runner's RunReport satisfies it;
 * library callers that want silence use `silentSteps`.
 */
export interface StepRunner {
  step<T>(name: string, node: string | undefined, fn: () => Promise<T>): Promise<T>;
  info(message: string): void;
  /** A heartbeat of running work: shown, not kept in the timeline. */
  activity(message: string): void;
}

export const silentSteps: StepRunner = {
  step: (_name, _node, fn) => fn(),
  info: () => {},
  activity: () => {},
};
