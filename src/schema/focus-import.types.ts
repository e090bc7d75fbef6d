import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { FocusCostColumn as CostColumn } from '../domain/model';
import { DateTimeISOResolver } from 'graphql-scalars';
import { DateScalar } from './scalars';
import { CloudAccount } from './types';

// The FOCUS import's part of the schema: the mutation's input and the report it returns.

export enum FocusCostColumn {
  EFFECTIVE = 'EFFECTIVE',
  BILLED = 'BILLED',
}
registerEnumType(FocusCostColumn, {
  name: 'FocusCostColumn',
  description:
    'Which FOCUS cost becomes the expense: EffectiveCost (amortized commitments, the default) or BilledCost (as invoiced).',
});

@InputType({ description: 'A FOCUS export already on the server, in its import folder.' })
export class ImportFocusInput {
  @Field(() => String, {
    description:
      'Path of the file relative to the server\'s import folder (IMPORT_DIR, default DATA_DIR/imports). It is resolved, symbolic links included, and refused unless it stays inside that folder: no absolute paths elsewhere, no "..". CSV, plain or gzipped (told by content, not by name).',
  })
  path!: string;

  @Field(() => FocusCostColumn, { defaultValue: FocusCostColumn.EFFECTIVE })
  cost!: FocusCostColumn;
}

@ObjectType({ description: 'A row the import refused: where it is and why.' })
export class FocusRowError {
  @Field(() => String)
  file!: string;

  @Field(() => Int, { description: 'Line of the file (the header is line 1).' })
  line!: number;

  @Field(() => String, {
    nullable: true,
    description: 'The column at fault; null when the whole row is unreadable.',
  })
  column!: string | null;

  @Field(() => String)
  reason!: string;

  @Field(() => String, { nullable: true, description: 'The offending cell, cut to 200 characters.' })
  value!: string | null;
}

@ObjectType({ description: 'A billing period of one billing account that the import covered.' })
export class FocusBillingPeriod {
  @Field(() => String, { description: 'Provider-qualified billing account, e.g. "AWS:123456789012".' })
  billingAccount!: string;

  @Field(() => DateScalar)
  start!: string;
}

@ObjectType({
  description:
    'What a FOCUS import read, refused and wrote. Re-importing the same file writes nothing; a newer export of the same billing period writes only -1/+1 corrections.',
})
export class FocusImportReport {
  @Field(() => [String])
  files!: string[];

  @Field(() => FocusCostColumn)
  costColumn!: CostColumn;

  @Field(() => Int, { description: 'Data rows read (the header excluded).' })
  rowsRead!: number;

  @Field(() => Int)
  rowsImported!: number;

  @Field(() => Int)
  rowsRefused!: number;

  @Field(() => [FocusRowError], { description: 'The first 100 refused rows.' })
  errors!: FocusRowError[];

  @Field(() => Int, { description: 'Refused rows beyond those listed in errors.' })
  errorsOmitted!: number;

  @Field(() => Float, { description: 'US dollars over the rows imported, from the chosen cost column.' })
  totalCost!: number;

  @Field(() => DateScalar, { nullable: true })
  firstDay!: string | null;

  @Field(() => DateScalar, { nullable: true })
  lastDay!: string | null;

  @Field(() => [CloudAccount], { description: 'Accounts the rows belong to (created on first sight).' })
  cloudAccounts!: CloudAccount[];

  @Field(() => Int)
  accountsCreated!: number;

  @Field(() => Int)
  resources!: number;

  @Field(() => Int, { description: 'Distinct (resource, UTC day) pairs in the import.' })
  resourceDays!: number;

  @Field(() => [FocusBillingPeriod])
  billingPeriods!: FocusBillingPeriod[];

  @Field(() => Int, { description: 'expenses rows written with sign +1 (new or corrected days).' })
  expenseRowsAdded!: number;

  @Field(() => Int, { description: 'expenses rows written with sign -1 (replaced or vanished days).' })
  expenseRowsCancelled!: number;

  @Field(() => Int)
  chargeRowsAdded!: number;

  @Field(() => Int)
  chargeRowsCancelled!: number;

  @Field(() => Boolean, {
    description:
      'True when stored days of these billing periods missing from the file were cancelled; false when rows were refused (a refused row may have carried them).',
  })
  missingCancelled!: boolean;

  @Field(() => Int)
  durationMs!: number;
}

export enum FocusImportState {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(FocusImportState, {
  name: 'FocusImportState',
  description:
    'SUCCEEDED: read and committed (rows may still have been refused); FAILED: nothing was stored.',
});

@ObjectType({ description: 'One FOCUS import of the organization, as the history keeps it (90 days).' })
export class FocusImport {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeISOResolver)
  startedAt!: Date;

  @Field(() => DateTimeISOResolver)
  finishedAt!: Date;

  @Field(() => FocusImportState)
  state!: FocusImportState;

  @Field(() => [String], { description: 'The files, as the import named them.' })
  files!: string[];

  @Field(() => FocusCostColumn)
  costColumn!: CostColumn;

  @Field(() => Int)
  rowsRead!: number;

  @Field(() => Int)
  rowsImported!: number;

  @Field(() => Int)
  rowsRefused!: number;

  @Field(() => Float, { description: 'US dollars in the rows imported.' })
  totalCost!: number;

  @Field(() => DateScalar, { nullable: true })
  firstDay!: string | null;

  @Field(() => DateScalar, { nullable: true })
  lastDay!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it failed; null when it succeeded.' })
  error!: string | null;
}
