import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { DateScalar } from './scalars';
import { BreakdownDimension, ExpenseOrderField, Provider, SortDirection } from './enums';

@InputType({ description: 'Whole UTC days, both ends included; at most 366 days.' })
export class DateRangeInput {
  @Field(() => DateScalar)
  start!: string;

  @Field(() => DateScalar)
  end!: string;
}

@InputType({ description: 'A tag that must be present; with a value, the tag must have that value.' })
export class TagFilterInput {
  @Field(() => String)
  key!: string;

  @Field(() => String, { nullable: true })
  value?: string | null;
}

@InputType({ description: 'Every given list must match (AND); values within a list are alternatives (OR).' })
export class ExpenseFilterInput {
  @Field(() => [ID], { nullable: true })
  cloudAccountIds?: string[];

  @Field(() => [Provider], { nullable: true })
  providers?: Provider[];

  @Field(() => [String], { nullable: true })
  resourceTypes?: string[];

  @Field(() => [String], { nullable: true })
  regions?: string[];

  @Field(() => [String], { nullable: true })
  services?: string[];

  @Field(() => [String], { nullable: true })
  owners?: string[];

  @Field(() => [TagFilterInput], { nullable: true })
  tags?: TagFilterInput[];

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the resource name.' })
  nameContains?: string;
}

@InputType()
export class ExpenseOrderInput {
  @Field(() => ExpenseOrderField, { defaultValue: ExpenseOrderField.COST })
  field!: ExpenseOrderField;

  @Field(() => SortDirection, { defaultValue: SortDirection.DESC })
  direction!: SortDirection;
}

@ArgsType()
export class ExpensesArgs {
  @Field(() => DateRangeInput)
  range!: DateRangeInput;

  @Field(() => ExpenseFilterInput, { nullable: true })
  filter?: ExpenseFilterInput;

  @Field(() => ExpenseOrderInput, {
    nullable: true,
    description: 'Default: cost, biggest first. Ties go by resource id.',
  })
  orderBy?: ExpenseOrderInput;

  @Field(() => Int, { defaultValue: 50, description: 'Page size, 1 to 1000.' })
  first!: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string;
}

@ArgsType()
export class ExpenseBreakdownArgs {
  @Field(() => DateRangeInput)
  range!: DateRangeInput;

  @Field(() => BreakdownDimension)
  by!: BreakdownDimension;

  @Field(() => String, { nullable: true, description: 'The tag key to split by; required when by is TAG.' })
  tagKey?: string;

  @Field(() => ExpenseFilterInput, { nullable: true })
  filter?: ExpenseFilterInput;
}

@ArgsType()
export class CostSummaryArgs {
  @Field(() => DateRangeInput)
  range!: DateRangeInput;

  @Field(() => ExpenseFilterInput, { nullable: true })
  filter?: ExpenseFilterInput;
}
