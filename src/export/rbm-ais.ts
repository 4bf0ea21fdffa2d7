/**
 * The RBM export's annealed importance sampling (src/core/models/energy/ais.ts), a section of
 * train.py beside the model (./rbm.ts): the same schedule of inverse temperatures, the same
 * base-rate start and the same float32 chunks summed in float64, so that from the same
 * uniforms it gives the app's log Z.
 */
export const RBM_AIS = String.raw`
# AIS sums its increments in float32 over this many temperatures, the running total in float64 (as ais.ts)
AIS_CHUNK = 100


def annealing_schedule(temperatures):
    """K + 1 inverse temperatures from 0 to 1, spaced as Salakhutdinov and Murray's (500 evenly in [0, 0.5],
    4,000 in [0.5, 0.9], 10,000 in [0.9, 1]) and scaled to K: densest near 1, where the distributions change fastest."""
    pieces = [(0.0, 0.5, 500), (0.5, 0.9, 4000), (0.9, 1.0, 10000)]
    total = sum(share for _, _, share in pieces)
    betas = [0.0] * (temperatures + 1)
    index = 0
    for p, (start, end, share) in enumerate(pieces):
        last = p == len(pieces) - 1
        count = temperatures - index if last else max(1, math.floor(temperatures * share / total + 0.5))
        for i in range(1, count + 1):
            index += 1
            betas[index] = start + (end - start) * i / count
    betas[temperatures] = 1.0
    return betas


def log_mean_exp(values):
    """log((1/n) sum exp(x)), without overflow."""
    high = values.max()
    return (high + ((values - high).exp().sum() / len(values)).log()).item()


@torch.no_grad()
def ais_log_partition(rbm, base, runs, temperatures, uniform):
    """log Z of the RBM rbm by annealed importance sampling (Salakhutdinov and Murray 2008) from the base-rate model with
    visible biases base (no weights; Z_A = prod_i (1 + exp(b_A,i))), through the distributions
        log p*_beta(v) = (1 - beta) b_A'v + beta b'v + sum_j softplus(beta (c_j + (v'W)_j)).
    uniform(shape) gives the draws of every Bernoulli step, in the app's order. Returns log Z and each run's
    log importance weight."""
    betas = annealing_schedule(temperatures)
    (size, hidden), weights, b, c = rbm.weights.shape, rbm.weights, rbm.visible_bias, rbm.hidden_bias

    def log_unnormalized(v, pre_activation, beta):
        return (v * (base * (1 - beta) + b * beta)).sum(1) + F.softplus(pre_activation * beta).sum(1)

    # v_1 ~ p_0: independent pixels, on with probability sigmoid(b_A): [M, D]
    v = (uniform((runs, size)) < torch.sigmoid(base)).float()
    log_weights = torch.zeros(runs, dtype=torch.float64, device=v.device)
    chunk = torch.zeros(runs, device=v.device)
    for k in range(1, temperatures + 1):
        pre_activation = v @ weights + c
        # log w += log p*_k(v_k) - log p*_(k-1)(v_k)
        chunk = chunk + (log_unnormalized(v, pre_activation, betas[k]) - log_unnormalized(v, pre_activation, betas[k - 1]))
        if k % AIS_CHUNK == 0 or k == temperatures:
            log_weights += chunk.double()
            chunk = torch.zeros_like(chunk)
        if k == temperatures:
            break
        # v_(k+1) ~ T_k(v_k): h ~ sigmoid(beta (c + v'W)), v ~ sigmoid((1 - beta) b_A + beta (b + Wh))
        h = (uniform((runs, hidden)) < torch.sigmoid(pre_activation * betas[k])).float()
        field = (h @ weights.T) * betas[k] + base * (1 - betas[k]) + b * betas[k]
        v = (uniform((runs, size)) < torch.sigmoid(field)).float()
    # log Z_0 = H log 2 + sum_i softplus(b_A,i): the hidden units, tied to nothing at beta = 0, each double the sum
    log_z_base = hidden * math.log(2) + F.softplus(base).sum().item()
    return log_z_base + log_mean_exp(log_weights), log_weights
`;
