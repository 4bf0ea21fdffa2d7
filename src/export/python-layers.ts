/**
 * Layers that compute what TF.js's layers compute, where PyTorch's built-ins differ, and
 * the builders of the shared encoder and decoder stacks (src/core/models/networks.ts).
 * Images stay [B, H, W, C] between networks, as in the app (so a flattened image is in the
 * same order and a dense kernel needs only a transpose); convolutions run on [B, C, H, W].
 */
export const LAYERS = String.raw`
class ChannelsFirst(nn.Module):
    """[B, H, W, C] -> [B, C, H, W], for PyTorch's convolutions."""

    def forward(self, x):
        return x.permute(0, 3, 1, 2)


class ChannelsLast(nn.Module):
    """[B, C, H, W] -> [B, H, W, C], the app's layout (a flattened map is then in TF.js's order)."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1)


def same_padding(size, kernel, stride):
    """TensorFlow's 'same' padding of one axis: the output is ceil(size / stride), and an odd total
    puts the extra row at the end (PyTorch's padding= is symmetric, so it would shift the image)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """A convolution with TensorFlow's 'same' padding."""

    def forward(self, x):
        (top, bottom), (left, right) = (same_padding(x.shape[2 + axis], self.kernel_size[axis], self.stride[axis]) for axis in (0, 1))
        return F.conv2d(F.pad(x, (left, right, top, bottom)), self.weight, self.bias, self.stride)


class SameConvTranspose2d(nn.ConvTranspose2d):
    """TensorFlow's 'same' transposed convolution: out = in * stride, the adjoint of a 'same'
    convolution, so the full result is cropped where that convolution pads (at the start: floor(total / 2))."""

    def forward(self, x):
        y = F.conv_transpose2d(x, self.weight, self.bias, self.stride)
        top, left = (max(self.kernel_size[axis] - self.stride[axis], 0) // 2 for axis in (0, 1))
        return y[:, :, top : top + x.shape[2] * self.stride[0], left : left + x.shape[3] * self.stride[1]]


class Upsample2x(nn.Module):
    """Doubles the resolution as TF.js's upSampling2d does. 'nearest' copies each pixel; TF.js's
    'bilinear' samples at dst / 2 (no half-pixel centres, unlike F.interpolate), so even rows and
    columns are the pixels and odd ones the mean of a pixel and the next (the last repeats)."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def forward(self, x):
        if self.mode == "nearest":
            return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
        for axis in (2, 3):
            following = torch.cat([x.narrow(axis, 1, x.shape[axis] - 1), x.narrow(axis, x.shape[axis] - 1, 1)], axis)
            # top + (bottom - top) * 1/2, in TF.js's order of operations
            x = torch.stack([x, x + (following - x) * 0.5], axis + 1).flatten(axis, axis + 1)
        return x


class Crop(nn.Module):
    """Keeps the first height x width pixels of a [B, C, H, W] map (28 is not a power of two)."""

    def __init__(self, height, width):
        super().__init__()
        self.height, self.width = height, width

    def forward(self, x):
        return x[:, :, : self.height, : self.width]


def activation_layer(name):
    return {"relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "swish": nn.SiLU}[name]()


def downsampled(size, levels):
    """The resolution after levels stride-2 'same' convolutions: ceil(size / 2) each time."""
    for _ in range(levels):
        size = math.ceil(size / 2)
    return size


def dense_encoder(shape, hidden, out_units, activation):
    """[B, ...example] -> [B, out_units]: flatten, the hidden layers, a linear output layer."""
    layers = [nn.Flatten()]  # [B, H, W, C] -> [B, H*W*C]
    width = math.prod(shape)
    for units in hidden:
        layers += [nn.Linear(width, units), activation_layer(activation)]
        width = units
    layers.append(nn.Linear(width, out_units))
    return layers


def dense_decoder(shape, hidden, in_units, activation, output):
    """[B, in_units] -> [B, ...example]: the hidden widths in reverse, then the output layer
    (sigmoid for pixels in [0, 1], or linear: logits, or a point's coordinates)."""
    layers, width = [], in_units
    for units in reversed(hidden):
        layers += [nn.Linear(width, units), activation_layer(activation)]
        width = units
    layers.append(nn.Linear(width, math.prod(shape)))
    if output == "sigmoid":
        layers.append(nn.Sigmoid())
    layers.append(nn.Unflatten(1, tuple(shape)))  # [B, H*W*C] -> [B, H, W, C]
    return layers


def conv_encoder(shape, channels, out_units, activation):
    """[B, H, W, C] -> [B, code]: 3x3 stride-2 convolutions (28 -> 14 -> 7), then a linear
    bottleneck, or (out_units = 0) the feature map itself flattened as the code."""
    layers, width = [ChannelsFirst()], shape[2]
    for filters in channels:
        layers += [SameConv2d(width, filters, 3, 2), activation_layer(activation)]
        width = filters
    layers += [ChannelsLast(), nn.Flatten()]  # [B, h, w, C_L] -> [B, h*w*C_L]
    if out_units > 0:
        small = downsampled(shape[0], len(channels)) * downsampled(shape[1], len(channels))
        layers.append(nn.Linear(small * width, out_units))
    return layers


def conv_decoder(shape, channels, in_units, activation, upsampling, output):
    """[B, code] -> [B, H, W, C]: a dense layer to the smallest map (none when the code is
    the map), per level an upsampling and a 3x3 convolution (or a stride-2 transposed
    convolution), a crop to the image's size, and a 3x3 convolution to its channels."""
    levels = len(channels)
    small = (downsampled(shape[0], levels), downsampled(shape[1], levels))
    width = channels[-1]
    layers = []
    if in_units > 0:
        layers += [nn.Linear(in_units, small[0] * small[1] * width), activation_layer(activation)]
    layers += [nn.Unflatten(1, (small[0], small[1], width)), ChannelsFirst()]  # [B, h*w*C] -> [B, C, h, w]
    for filters in reversed(channels):
        if upsampling == "transpose":
            layers += [SameConvTranspose2d(width, filters, 3, 2), activation_layer(activation)]
        else:
            layers += [Upsample2x(upsampling), SameConv2d(width, filters, 3, 1), activation_layer(activation)]
        width = filters
    if small[0] * 2**levels != shape[0] or small[1] * 2**levels != shape[1]:
        layers.append(Crop(shape[0], shape[1]))
    layers.append(SameConv2d(width, shape[2], 3, 1))
    if output == "sigmoid":
        layers.append(nn.Sigmoid())
    layers.append(ChannelsLast())
    return layers


def glorot_init(module):
    """Fresh weights as TF.js makes them: Glorot-uniform kernels, zero biases."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
`;
