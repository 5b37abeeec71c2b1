// A compile-time check that two types are the same, for modules whose zod schemas must produce a domain type exactly:
// `true satisfies SameType<z.output<typeof schema>, DomainType>` fails to compile when they drift apart.

/** `true` when A and B are identical types, else `false`. */
export type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
