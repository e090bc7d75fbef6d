import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { FocusImportService } from '../import/focus-import.service';
import {
  FocusImport,
  FocusImportReport,
  FocusImportState,
  ImportFocusInput,
} from '../schema/focus-import.types';
import type { GraphQLContext } from './context';

/** `importFocus` (a FOCUS export already in the server's import folder, into the caller's organization) and `focusImports`. */
@Resolver()
export class FocusImportResolver {
  constructor(private readonly imports: FocusImportService) {}

  @Mutation(() => FocusImportReport, {
    description:
      "Imports a FOCUS 1.0-1.2 cost export (AWS, Azure, GCP, others) from the server's import folder (IMPORT_DIR) into the caller's organization. Only files inside IMPORT_DIR are read: the path is resolved and checked against traversal and symbolic links. Idempotent: the same file again writes nothing.",
  })
  async importFocus(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => ImportFocusInput) input: ImportFocusInput,
  ): Promise<FocusImportReport> {
    return this.imports.importFromImportDir(ctx.viewer.organizationId, input.path, input.cost);
  }

  @Query(() => [FocusImport], {
    description:
      "The caller's organization's FOCUS imports of the last 90 days, newest first, failed ones too.",
  })
  async focusImports(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20, description: 'At most this many imports, 1 to 200.' })
    first: number,
  ): Promise<FocusImport[]> {
    const records = await this.imports.recent(ctx.viewer.organizationId, first);
    return records.map((record) => ({ ...record, state: record.state as FocusImportState }));
  }
}
