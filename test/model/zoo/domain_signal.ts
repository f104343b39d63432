/**
 * Synthetic multi-domain data whose labels hold a domain-specific interaction, for checking that
 * a multi-domain model really uses the domain: a model that ignores it can only learn the
 * interaction averaged over the domains.
 */
import { Rng } from '../../../src/util/rng.js';
import type { IdFeatures } from '../../../src/model/types.js';
import type { Synthetic } from './helpers.js';

export interface DomainSignalOptions {
  rows: number;
  domains?: number;
  users?: number;
  items?: number;
  brands?: number;
  /** Std of the Gaussian noise added to the label logit. */
  noise?: number;
}

/**
 * Label = [pop(item) + 2·aff(user, brand)·sign_d(brand) + noise > 0] with aff, pop ∈ {−1, +1}.
 * sign_0 ≡ +1; in every other domain each brand's sign is flipped with probability ½ (at least one
 * brand per domain flipped), so the same user × brand pair means opposite things in different
 * domains. Domains are drawn uniformly and independently of the ids, so nothing but the domain
 * reveals the sign. Title = item, price bucket and history are noise.
 */
export function makeDomainSignal(seed: number, o: DomainSignalOptions): Synthetic {
  const rng = new Rng(seed);
  const domains = o.domains ?? 3;
  const users = o.users ?? 30;
  const items = o.items ?? 40;
  const brands = o.brands ?? 6;
  const noise = o.noise ?? 0.3;
  const sign = (): number => (rng.next() < 0.5 ? -1 : 1);
  const aff = Array.from({ length: users }, () => Array.from({ length: brands }, sign));
  const pop = Array.from({ length: items }, sign);
  const flips = Array.from({ length: domains }, (_, d) => {
    const s: number[] = Array.from({ length: brands }, () => (d > 0 && rng.next() < 0.5 ? -1 : 1));
    if (d > 0 && !s.some((v) => v < 0)) s[rng.int(brands)] = -1;
    return s;
  });
  const n = o.rows;
  const f: IdFeatures = {
    size: n,
    domainId: new Int32Array(n),
    userId: new Int32Array(n),
    itemId: new Int32Array(n),
    brandId: new Int32Array(n),
    titleId: new Int32Array(n),
    priceBucket: new Int32Array(n),
    history: new Int32Array(n * 5),
  };
  const labels = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const d = rng.int(domains);
    const u = rng.int(users);
    const i = rng.int(items);
    const b = i % brands;
    f.domainId[r] = d;
    f.userId[r] = u + 1;
    f.itemId[r] = i + 1;
    f.brandId[r] = b + 1;
    f.titleId[r] = i + 1;
    f.priceBucket[r] = 1 + rng.int(100);
    const h = rng.int(6);
    for (let k = 0; k < h; k++) f.history[r * 5 + k] = 1 + rng.int(items);
    const logit = pop[i]! + 2 * aff[u]![b]! * flips[d]![b]! + noise * rng.normal();
    labels[r] = logit > 0 ? 1 : 0;
  }
  return { features: f, labels, vocab: { user: users + 1, item: items + 1, brand: brands + 1, title: items + 1, price_bucket: 101 } };
}
