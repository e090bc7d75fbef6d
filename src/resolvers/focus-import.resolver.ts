import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { FocusImportService } from '../import/focus-import.service';
import { FocusImportReport, ImportFocusInput } from '../schema/focus-import.types';
import type { GraphQLContext } from './context';

/** `importFocus`: a FOCUS export already in the server's import folder, into the caller's organization. */
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
}
