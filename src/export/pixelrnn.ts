/**
 * PixelRNN's export (src/core/models/autoregressive/: pixelrnn-network.ts, row-lstm.ts,
 * diagonal-bilstm.ts, lstm-gates.ts, skew.ts, masked-head.ts): a type-A masked convolution,
 * LSTM layers (Row LSTM or Diagonal BiLSTM) with residual 1x1 convolutions, the masked
 * head; colour groups in the convolutions and in the gates, the forget gates' bias of 1,
 * held-out bits/dim and value-by-value sampling (./python-autoregressive.ts), the LSTMs'
 * states kept row by row. train.py holds both LSTM layers; --layer (with --fresh) switches.
 */
import type { ExportRun, FamilyExport } from './families';
import { AUTOREGRESSIVE } from './python-autoregressive';
import type { OptimizerPlan, ParamPlan } from './torch-layout';

/**
 * The variables in the order the network creates them: the first convolution, each LSTM's
 * (input-to-state kernel and gate bias, per direction for the Diagonal BiLSTM, then the
 * state-to-state kernel), the residual 1x1 convolutions, the head.
 */
function params(run: ExportRun): ParamPlan[] {
  const conv = (layer: string): ParamPlan[] => [
    { name: `${layer}.weight`, layout: 'conv' },
    { name: `${layer}.bias`, layout: 'as-is' },
  ];
  const layers = Array.from({ length: Number(run.values.layers) }, (_, l) => l);
  const lstm = (l: number): ParamPlan[] =>
    run.values.layer === 'diagonal'
      ? // the state-to-state kernels of both directions, [2, 2U, 4U], used as matrices: kept in TF.js's layout
        [...conv(`lstms.${l}.input_to_state.0`), ...conv(`lstms.${l}.input_to_state.1`), { name: `lstms.${l}.state_to_state`, layout: 'as-is' }]
      : // K_ss [1, k, U, 4U] is a convolution's kernel along the row above
        [...conv(`lstms.${l}.input_to_state`), { name: `lstms.${l}.state_to_state`, layout: 'conv' }];
  return [...conv('first'), ...layers.flatMap(lstm), ...layers.flatMap((l) => conv(`residual.${l}`)), ...conv('hidden'), ...conv('output')];
}

const MODEL = String.raw`
GATES = 4  # per hidden unit: o, f, i (sigmoids) and g (tanh), in that order
ROW_KERNEL = 3  # the Row LSTM's width along the row (the paper's k = 3)


def glorot_parameter(shape, fan_in, fan_out):
    """Glorot-uniform weights over fan_in inputs and fan_out outputs, as lstm-gates.ts's glorot."""
    limit = math.sqrt(6 / max(1, fan_in + fan_out))
    return nn.Parameter(torch.empty(shape).uniform_(-limit, limit))


def gate_mask(width, in_channels, units, groups):
    """The 0/1 mask of an input-to-state kernel, [4U, in, 1, width] (lstm-gates.ts, type B): the pixels left of the
    centre are kept, those right of it zeroed; at the centre input group g' reaches unit j's four gates if
    g' <= group(j), so R's gates never see the pixel's G or B."""
    centre = (width - 1) // 2
    column = torch.arange(width).view(1, 1, 1, width)
    source = channel_group(torch.arange(in_channels), in_channels, groups).view(1, in_channels, 1, 1)
    # output gate * U + j belongs to unit j's group
    target = channel_group(torch.arange(GATES * units) % units, units, groups).view(GATES * units, 1, 1, 1)
    return ((column < centre) | ((column == centre) & (source <= target))).float()


class InputToState(nn.Module):
    """The input-to-state convolution K_is, 1 x width along the row, masked, with the gates' bias b:
    computed for the whole map at once, K_is * x + b, [B, in, H, W] -> [B, 4U, H, W]."""

    def __init__(self, width, in_channels, units, groups):
        super().__init__()
        self.width = width
        self.register_buffer("mask", gate_mask(width, in_channels, units, groups), persistent=False)
        self.weight = glorot_parameter((GATES * units, in_channels, 1, width), (width + 1) // 2 * in_channels, units)
        # [o, f, i, g]: 1 on the forget gate, so that early in training a state is kept rather than forgotten
        self.bias = nn.Parameter(torch.cat([torch.zeros(units), torch.ones(units), torch.zeros(2 * units)]))

    def forward(self, x):
        half = (self.width - 1) // 2
        return F.conv2d(F.pad(x, (half, half)), self.weight * self.mask, self.bias)


def lstm_cell(gates, previous):
    """One step of the LSTM cell, the gates [N, 4U, ...] along dim 1 and the previous cell state [N, U, ...]:
        [o, f, i, g] = [sigma, sigma, sigma, tanh](gates)
        c = f ⊙ c_prev + i ⊙ g
        h = o ⊙ tanh(c)"""
    o, f, i, g = gates.chunk(GATES, 1)
    c = torch.sigmoid(f) * previous + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


class RowLSTM(nn.Module):
    """The Row LSTM (van den Oord et al. 2016, section 3.1 and figure 2): an LSTM down the image a row at a time,
        gates_r = K_is * x_r + K_ss * h_{r-1} + b
    K_is masked along row r of the input (the pixels to the left, and the pixel itself by colour group), K_ss an
    unmasked 1 x k convolution along the row above's states (wholly in the past); h_{-1} = c_{-1} = 0. A pixel's
    context is a triangle above it."""

    def __init__(self, units, groups, kernel=ROW_KERNEL):
        super().__init__()
        self.input_to_state = InputToState(kernel, units, units, groups)
        self.state_to_state = glorot_parameter((GATES * units, units, 1, kernel), kernel * units, units)  # K_ss

    def step(self, inputs, h, c):
        """One row: its K_is * x_r + b [B, 4U, 1, W] and the row above's h, c [B, U, 1, W] -> this row's h, c."""
        half = (self.state_to_state.shape[3] - 1) // 2
        return lstm_cell(inputs + F.conv2d(F.pad(h, (half, half)), self.state_to_state), c)

    def forward(self, x):
        """[B, U, H, W] -> [B, U, H, W]."""
        inputs = self.input_to_state(x)  # K_is * x + b, every row at once: [B, 4U, H, W]
        h = c = x.new_zeros(x.shape[0], x.shape[1], 1, x.shape[3])
        states = []
        # the rows as views by one split: indexing each row instead would make its gradient a zero map of the
        # whole of inputs, H of them a layer (most of a step's backward pass on a CPU)
        for row in inputs.split(1, 2):
            h, c = self.step(row, h, c)
            states.append(h)
        return torch.cat(states, 2)

    def initial_state(self, x):
        """The states above the first row, for row_step: zeros, for x [B, U, 1, W]."""
        return torch.zeros_like(x), torch.zeros_like(x)

    def row_step(self, x, state, finish):
        """One row of the layer for the sampler: x [B, U, 1, W] and the row above's (h, c) -> this row's states
        [B, U, 1, W], and its (h, c) (they come with the row, finished or not)."""
        h, c = self.step(self.input_to_state(x), *state)
        return h, (h, c)


def skew(x):
    """[B, F, H, W] -> [B, F, H, W + H - 1] (skew.ts): row r moved r to the right, zeros elsewhere, so that
    diagonal j of the image, the pixels (r, j - r), is column j."""
    height = x.shape[2]
    return torch.stack([F.pad(row, (r, height - 1 - r)) for r, row in enumerate(x.unbind(2))], 2)


def unskew(skewed, width):
    """[B, F, H, W + H - 1] -> [B, F, H, W], the inverse of skew: out[..., r, c] = skewed[..., r, r + c]."""
    return torch.stack([row[:, :, r : r + width] for r, row in enumerate(skewed.unbind(2))], 2)


class DiagonalBiLSTM(nn.Module):
    """The Diagonal BiLSTM (van den Oord et al. 2016, section 3.2 and figure 3): two LSTMs sweep the skewed image a
    diagonal (a column of the skewed map) at a time, one from the left and one, on the mirrored image, from the right,
        gates(r, c) = K_is * x(r, c) + K_ss [h(r - 1, c); h(r, c - 1)] + b
    K_is a masked 1x1 convolution, K_ss [2U, 4U] per direction (rows 0..U-1 read the state above, U..2U-1 the one
    before it in the row), the cell state from the left; cells of the skewed map outside the image hold zero states.
    The right-to-left states of row r have seen the rest of the row, the future: they are moved a row down,
        out(r, c) = h_fwd(r, c) + h_rev(r - 1, c)"""

    def __init__(self, units, groups):
        super().__init__()
        self.units = units
        self.input_to_state = nn.ModuleList([InputToState(1, units, units, groups) for _ in range(2)])
        self.state_to_state = glorot_parameter((2, 2 * units, GATES * units), 2 * units, units)  # K_ss of both directions

    def sweep(self, x, direction):
        """One direction's states, diagonal by diagonal from the left: [B, U, H, W] -> [B, U, H, W]."""
        batch, units, height, width = x.shape
        inputs = self.input_to_state[direction](skew(x))  # K_is * x + b: [B, 4U, H, W + H - 1]
        kernel = self.state_to_state[direction].t()  # [4U, 2U]
        # column j of the skewed map holds pixel (r, j - r) where 0 <= j - r < W: [H, W + H - 1]
        row, column = torch.arange(height).view(-1, 1), torch.arange(width + height - 1).view(1, -1)
        inside = ((column >= row) & (column - row < width)).to(x)
        h = c = x.new_zeros(batch, units, height)
        states = []
        for j, diagonal in enumerate(inputs.unbind(3)):  # one unbind, not an index a column (see RowLSTM.forward)
            above = F.pad(h, (1, 0))[:, :, :height]  # the previous column a row down: the state above each pixel
            # K_ss [h(r - 1, c); h(r, c - 1)]: [4U, 2U] x [B, 2U, H] -> [B, 4U, H]
            h, c = lstm_cell(diagonal + kernel @ torch.cat([above, h], 1), c)
            # cells outside the image hold zero states
            h, c = h * inside[:, j], c * inside[:, j]
            states.append(h)
        return unskew(torch.stack(states, 3), width)

    def forward(self, x):
        """[B, U, H, W] -> [B, U, H, W]."""
        left_to_right = self.sweep(x, 0)
        right_to_left = self.sweep(x.flip(3), 1).flip(3)
        return left_to_right + shift_down(right_to_left)

    def initial_state(self, x):
        """The states above the first row, both directions, for row_step: zeros, for x [B, U, 1, W]."""
        return torch.zeros_like(x[:, :, 0]), torch.zeros_like(x[:, :, 0])

    def row_sweep(self, x, above, direction):
        """One direction along one row from the left, the diagonal sweep's recurrence taken a row at a time: the state
        at (r, c) from the states at (r - 1, c) (above) and (r, c - 1). x, above [B, U, W] -> [B, U, W]."""
        inputs = self.input_to_state[direction](x.unsqueeze(2))[:, :, 0]  # K_is * x + b: [B, 4U, W]
        h = c = x.new_zeros(x.shape[0], self.units)
        states = []
        for column in range(x.shape[2]):
            # gates = K_is * x + K_ss [h(r - 1, c); h(r, c - 1)] + b: [B, 2U] x [2U, 4U]
            h, c = lstm_cell(inputs[:, :, column] + torch.cat([above[:, :, column], h], 1) @ self.state_to_state[direction], c)
            states.append(h)
        return torch.stack(states, 2)

    def row_step(self, x, state, finish):
        """One row of the layer for the sampler: x [B, U, 1, W] and the row above's states of both directions ->
        out(r, c) = h_fwd(r, c) + h_rev(r - 1, c), [B, U, 1, W], and (finish, the row drawn) this row's states."""
        above_forward, above_reverse = state
        forward = self.row_sweep(x[:, :, 0], above_forward, 0)
        out = (forward + above_reverse).unsqueeze(2)
        if not finish:
            return out, None
        reverse = self.row_sweep(x[:, :, 0].flip(2), above_reverse.flip(2), 1).flip(2)
        return out, (forward, reverse)


class Model(PixelModel):
    """PixelRNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks", sections 3.1-3.4): a masked convolution
    of type A, LSTM layers with residual connections,
        h_0 = conv_A(x)
        h_l = h_{l-1} + conv_1x1(LSTM_l(h_{l-1})),   l = 1..L
        features = relu(h_L)
    the convolutions and the LSTMs' gates split into colour groups. --layer chooses the LSTM (with --fresh)."""

    def __init__(self, args):
        super().__init__(args)
        channels, units = self.shape[2], args.units
        groups = channels  # one per colour
        self.first = MaskedConv2d(int(args.first_kernel), channels, units, "A", groups)
        lstm = RowLSTM if args.layer == "row" else DiagonalBiLSTM
        self.lstms = nn.ModuleList([lstm(units, groups) for _ in range(args.layers)])
        self.residual = nn.ModuleList([MaskedConv2d(1, units, units, "B", groups) for _ in range(args.layers)])
        self.add_head(units)

    def features(self, x):
        """[B, C, H, W] -> [B, U, H, W]."""
        h = self.first(x)
        for lstm, residual in zip(self.lstms, self.residual):
            h = h + residual(lstm(h))
        return F.relu(h)

    def row_pass(self, canvas, row, states, finish):
        """Row number row of the network from the canvas [n, H, W, C] and each LSTM's states of the row above: the logits
        [n, W, C, K], and (finish) each LSTM's states of this row."""
        top = max(0, row - (self.first.kernel - 1) // 2)  # the rows the type-A window reads
        h = self.first(canvas[:, top : row + 1].permute(0, 3, 1, 2))[:, :, -1:]  # [n, U, 1, W]
        finished = []
        for lstm, residual, state in zip(self.lstms, self.residual, states):
            out, state = lstm.row_step(h, state, finish)
            h = h + residual(out)
            finished.append(state)
        return self.head(F.relu(h))[:, 0], finished

    def value_pass(self, canvas):
        """The sampler's pass a row at a time (the app's pixelrnn-cache.ts goes pixel by pixel): the LSTMs' states of
        the last drawn row are kept, so a value's logits take one row through each layer, not every row above it."""
        cache = {"row": -1, "states": None}  # the last row drawn, and every LSTM's states of it

        def logits(row, column, channel):
            if cache["states"] is None:
                first = canvas.new_zeros(canvas.shape[0], self.first.weight.shape[0], 1, canvas.shape[2])
                cache["states"] = [lstm.initial_state(first) for lstm in self.lstms]
            while cache["row"] < row - 1:  # rows drawn since: their final states
                cache["row"] += 1
                cache["states"] = self.row_pass(canvas, cache["row"], cache["states"], finish=True)[1]
            return self.row_pass(canvas, row, cache["states"], finish=False)[0][:, column, channel]

        return logits
`;

export const PIXELRNN_EXPORT: FamilyExport = {
  models: ['pixelrnn'],
  layerKeys: ['data', 'layer', 'layers', 'units', 'first_kernel'],
  optimizers(run): OptimizerPlan[] {
    // the model's state is { network: its Adam }
    return [{ id: 'network', statePrefix: 'network/', params: params(run) }];
  },
  // the sampling temperature is a view setting (no flag): the run's value
  modelSection: (run) => `\nSAMPLING_TEMPERATURE = ${Number(run.values.temperature ?? 1)}\n${AUTOREGRESSIVE}${MODEL}`,
};
