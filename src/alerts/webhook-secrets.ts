import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { WebhookSecrets } from '../domain/ports';

/**
 * Budget webhook secrets, derived rather than stored: secret = HMAC-SHA256(signing key,
 * "budget-webhook:" + budget id). Nothing secret sits in the database (a copy of it signs
 * nothing), every process with the same key signs alike, and a budget keeps its secret across
 * updates. The key is ALERT_SIGNING_KEY, or a random one kept in DATA_DIR/alert-signing.key.
 */
export class DerivedWebhookSecrets implements WebhookSecrets {
  constructor(private readonly key: Buffer) {}

  secretFor(budgetId: string): string {
    return `whsec_${createHmac('sha256', this.key).update(`budget-webhook:${budgetId}`).digest('base64url')}`;
  }

  signature(budgetId: string, body: string): string {
    return `sha256=${createHmac('sha256', this.secretFor(budgetId)).update(body).digest('hex')}`;
  }
}

/** The configured key, or the one in `dataDir/alert-signing.key` (created, mode 0600, on first use). */
export function loadSigningKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, 'alert-signing.key');
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    // wx: two processes starting together keep the first one's key.
    fs.writeFileSync(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
  }
}
