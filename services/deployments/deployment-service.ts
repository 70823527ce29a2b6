// Deployments: registered (created or replaced by name) from REST, the CLI, prefect.yaml or the TypeScript client.
// A deployment's triggers become automations it owns; re-deploying replaces them (Prefect §6).
import crypto from 'node:crypto';
import { validateAgainstSchema } from '../actions/run-parameters';
import { automationInputSchema } from '../../core/automations/schema';
import { AutomationRejected, type AutomationService, type AutomationView } from '../automations/service';
import type { DeploymentRecord, DeploymentRepository } from '../../db/deployments';
import type { FlowRunRecord } from '../../db/flow-runs';
import { deploymentTriggersToAutomations } from '../../core/deployments/automations';
import type { DeploymentInput } from '../../core/deployments/schema';
import type { FlowChecks } from './flow-check';
import type { FlowRunStarter } from './flow-run-starter';
import { resourceIdFor } from '../../core/resources';
import { TripwireError } from '../../core/errors';

/** Thrown when run parameters do not satisfy the deployment's parameter schema. */
export class ParameterValidationError extends TripwireError {
  constructor(readonly problems: string[]) {
    super(
      'UNPROCESSABLE',
      `parameters do not match the deployment's parameter schema: ${problems.join('; ')}`,
      problems.map((message) => ({ path: 'parameters', message })),
    );
    this.name = 'ParameterValidationError';
  }
}

/** Returns the resource id that owns a deployment's automations. */
export function deploymentResourceId(id: string): string {
  return resourceIdFor('deployment', id);
}

/** Registers deployments and starts their runs. */
export class DeploymentService {
  constructor(
    private readonly repository: DeploymentRepository,
    private readonly automations: AutomationService,
    private readonly flowRuns: FlowRunStarter,
    /** Deploy-time checks of the deployment's code (flow-check.ts); absent, nothing is checked. */
    private readonly checks?: FlowChecks,
  ) {}

  /**
   * Creates or replaces the deployment named `input.name`. When `input.triggers` is given (even empty), the
   * automations the deployment owns are replaced by one per trigger. Throws FlowCheckError when its code cannot run
   * as it says (nothing is stored then).
   */
  async apply(
    input: DeploymentInput,
    baseDir: string,
  ): Promise<{ deployment: DeploymentRecord; automations: AutomationView[] }> {
    const now = new Date().toISOString();
    const existing = await this.repository.getByName(input.name);
    const id = existing?.id ?? crypto.randomUUID();
    // Validate every new automation before storing anything, so a bad trigger changes nothing.
    const inputs =
      input.triggers === undefined
        ? undefined
        : deploymentTriggersToAutomations({ id, name: input.name }, input.triggers).map((raw, index) => {
            const parsed = automationInputSchema.safeParse(raw);
            if (!parsed.success) {
              const issue = parsed.error.issues[0]!;
              throw new AutomationRejected(`triggers[${index}].${issue.path.join('.')}`, issue.message);
            }
            return parsed.data;
          });
    (inputs ?? []).forEach((automation, index) => {
      try {
        this.automations.validate(automation);
      } catch (error) {
        throw error instanceof TripwireError ? error.within(`triggers[${index}]`) : error;
      }
    });
    const record: DeploymentRecord = {
      id,
      name: input.name,
      description: input.description,
      entrypoint: input.entrypoint,
      entrypoint_type: input.entrypoint_type,
      activities: input.activities ?? null,
      work_pool: input.work_pool.name,
      work_pool_type: input.work_pool.type,
      parameters: input.parameters,
      parameter_schema: input.parameter_schema ?? null,
      tags: input.tags ?? [],
      base_dir: baseDir,
      retries: input.retries,
      retry_delay_seconds: input.retry_delay_seconds,
      timeout_seconds: input.timeout_seconds ?? null,
      created: now,
      updated: now,
    };
    await this.checks?.check(record, await this.repository.list(record.work_pool));
    const deployment = await this.repository.upsert(record);
    if (inputs === undefined)
      return { deployment, automations: await this.automations.list(deploymentResourceId(deployment.id)) };
    await this.automations.deleteOwned(deploymentResourceId(deployment.id));
    const automations: AutomationView[] = [];
    for (const automation of inputs) automations.push(await this.automations.create(automation));
    return { deployment, automations };
  }

  list(workPool?: string): Promise<DeploymentRecord[]> {
    return this.repository.list(workPool);
  }

  /** Finds a deployment by name, or by id. */
  async find(nameOrId: string): Promise<DeploymentRecord | undefined> {
    return (await this.repository.getByName(nameOrId)) ?? (await this.repository.get(nameOrId));
  }

  /** Deletes the deployment and the automations it owns; returns false when it does not exist. */
  async delete(nameOrId: string): Promise<boolean> {
    const deployment = await this.find(nameOrId);
    if (!deployment) return false;
    await this.automations.deleteOwned(deploymentResourceId(deployment.id));
    return this.repository.delete(deployment.id);
  }

  /** Starts a run with `parameters` over the defaults, after `scheduleAfterSeconds`. */
  async run(
    deployment: DeploymentRecord,
    options: {
      parameters?: Record<string, unknown>;
      scheduleAfterSeconds?: number;
      idempotencyKey?: string;
      createdBy?: FlowRunRecord['created_by'];
      /** The automation, firing and events behind a run an action starts. */
      triggeredBy?: FlowRunRecord['triggered_by'];
    },
  ): Promise<{ run: FlowRunRecord; created: boolean }> {
    const parameters = { ...deployment.parameters, ...(options.parameters ?? {}) };
    const problems = deployment.parameter_schema ? validateAgainstSchema(parameters, deployment.parameter_schema) : [];
    if (problems.length > 0) throw new ParameterValidationError(problems);
    return this.flowRuns.create({
      deployment,
      parameters,
      scheduleAfterSeconds: options.scheduleAfterSeconds ?? 0,
      idempotencyKey: options.idempotencyKey,
      createdBy: options.createdBy ?? undefined,
      triggeredBy: options.triggeredBy ?? undefined,
    });
  }
}
