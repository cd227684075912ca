/** An attribute named in an expression: it becomes a `#` placeholder, where anything else interpolated is a value. */
class AttributeName {
  constructor(readonly name: string) {}
}

/** Values for `IN (…)`: one `:` placeholder each. */
class ValueList {
  constructor(readonly values: readonly unknown[]) {}
}

/** A clause in DynamoDB's own syntax, its attributes and values still to be given placeholders. */
class Clause {
  constructor(
    readonly strings: TemplateStringsArray,
    readonly parts: readonly unknown[],
  ) {}
}

export const attr = (name: string) => new AttributeName(name);
export const oneOf = (values: readonly unknown[]) => new ValueList(values);
/** A tagged template: `${attr("x")}` is a name, `${oneOf([…])}` a list of values, any other `${…}` one value. */
export const expr = (strings: TemplateStringsArray, ...parts: unknown[]) => new Clause(strings, parts);

/** The parts of a command's input a {@link WriteExpression} fills; each is left out when it would be empty. */
export interface WriteExpressionInput {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * A conditional write's expressions, composed clause by clause. Every attribute and value goes through a placeholder
 * made here, so no caller escapes a reserved word or numbers a value by hand, and parts added under an `if` compose.
 */
export class WriteExpression {
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes = new Set<string>();
  private readonly conditions: string[] = [];

  /** `SET attribute = value`, or a SET clause of its own (`list_append`, `if_not_exists`, …). */
  set(attribute: string, value: unknown): this;
  set(clause: Clause): this;
  set(target: string | Clause, value?: unknown): this {
    this.sets.push(
      typeof target === "string"
        ? `${this.placeholder(attr(target))} = ${this.placeholder(value)}`
        : this.render(target),
    );
    return this;
  }

  /** REMOVE these attributes; naming one twice removes it once. */
  remove(...attributes: readonly string[]): this {
    for (const attribute of attributes) this.removes.add(this.placeholder(attr(attribute)));
    return this;
  }

  /** One more condition the item must meet: all must hold (each is bracketed, so an OR stays inside its own). */
  when(condition: Clause): this {
    this.conditions.push(`(${this.render(condition)})`);
    return this;
  }

  build(): WriteExpressionInput {
    const clauses = [
      ...(this.sets.length ? [`SET ${this.sets.join(", ")}`] : []),
      ...(this.removes.size ? [`REMOVE ${[...this.removes].join(", ")}`] : []),
    ];
    return {
      ...(clauses.length && { UpdateExpression: clauses.join(" ") }),
      ...(this.conditions.length && { ConditionExpression: this.conditions.join(" AND ") }),
      ...(this.names.size && { ExpressionAttributeNames: Object.fromEntries([...this.names].map(([n, p]) => [p, n])) }),
      ...(Object.keys(this.values).length && { ExpressionAttributeValues: { ...this.values } }),
    };
  }

  private render({ strings, parts }: Clause): string {
    return parts.reduce<string>((text, part, index) => text + this.placeholder(part) + strings[index + 1], strings[0]!);
  }

  private placeholder(part: unknown): string {
    if (part instanceof AttributeName) {
      if (!this.names.has(part.name)) this.names.set(part.name, `#n${this.names.size}`);
      return this.names.get(part.name)!;
    }
    if (part instanceof ValueList) return part.values.map((value) => this.placeholder(value)).join(", ");
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = part;
    return placeholder;
  }
}
