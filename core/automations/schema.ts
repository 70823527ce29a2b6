// The automation shape of Prefect's API: a trigger (Prefect's JSON trigger shapes) and actions. What the API
// accepts here is what is stored and what the workflows run.
import { z } from 'zod';
import { triggerSchema } from '../triggers/schema';
import { actionSchema } from './action-schema';

export const automationInputSchema = z.object({
  name: z.string().trim().min(1, 'name must not be empty').max(500),
  description: z.string().max(10_000).default(''),
  enabled: z.boolean().default(true),
  trigger: triggerSchema,
  actions: z.array(actionSchema).default([]),
  actions_on_trigger: z.array(actionSchema).default([]),
  actions_on_resolve: z.array(actionSchema).default([]),
  owner_resource: z.string().min(1).nullish(),
  tags: z.array(z.string().max(500)).max(100).default([]),
});

export const automationPatchSchema = z.object({ enabled: z.boolean() }).strict();

export type AutomationInput = z.infer<typeof automationInputSchema>;
