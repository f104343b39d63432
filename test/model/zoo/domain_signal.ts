/**
 * Synthetic multi-domain data with a domain-specific interaction built in, for the tests that a
 * multi-domain model really uses the domain: a domain-blind model can only learn the shared part.
 *
 * z = pop(item) + s_d · aff(user, brand) + N(0, σ²), label = [z > 0], with pop, aff ∈ {±1} drawn
 * once and s_d = +1 in even domains, −1 in odd ones (the user × brand affinity flips sign between
 * neighbouring domains). Knowing the domain, the best score is pop + s_d·aff; blind to it (two
 * domains), only pop is predictive. Title = item, price bucket and history are noise.
 */
import type { IdFeatures } from '../../../src/model/types.js';
import { Rng } from '../../../src/util/rng.js';
import type { Synthetic } from './helpers.js';

export interface DomainSignalOptions {
  rows: number;
  domains?: number;
  users?: number;
  items?: number;
  brands?: number;
  /** σ of the Gaussian noise on z. */
  noise?: number;
}

export function makeDomainSignal(seed: number, o: DomainSignalOptions): Synthetic {
  const rng = new Rng(seed);
  const domains = o.domains ?? 2;
  const users = o.users ?? 20;
  const items = o.items ?? 30;
  const brands = o.brands ?? 4;
  const sigma = o.noise ?? 0.5;
  const sign = () => (rng.next() < 0.5 ? -1 : 1);
  const aff = Array.from({ length: users }, () => Array.from({ length: brands }, sign));
  const pop = Array.from({ length: items }, sign);
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
    const z = pop[i]! + (d % 2 === 0 ? 1 : -1) * aff[u]![b]! + sigma * rng.normal();
    labels[r] = z > 0 ? 1 : 0;
  }
  return { features: f, labels, vocab: { user: users + 1, item: items + 1, brand: brands + 1, title: items + 1, price_bucket: 101 } };
}

/** The same rows with every domain id set to 0: what a domain-blind model (one domain) sees. */
export function domainBlind(s: Synthetic): Synthetic {
  return { ...s, features: { ...s.features, domainId: new Int32Array(s.features.size) } };
}
