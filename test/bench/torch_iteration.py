"""One divergence-triangle iteration in PyTorch (CPU), the peer of test/bench/sections/triangle.ts.

Same networks as lib/models 'mnist' (Table 6 of the divergence-triangle paper: generator BN, no BN in
inference/EBM, 3x3 valid heads), same batch, same three steps in the authors' order with their Adam
settings and loss scaling (ENVIRONMENT.md), and like tf.variableGrads each step computes only the
gradients it needs (the other nets' parameters are frozen during it).

    /usr/bin/python3 test/bench/torch_iteration.py --width 1 --batch 64 --iters 5 [--threads 2]

Prints one JSON line: {"width", "batch", "iters", "msPerIter" (median wall), "cpuMsPerIter" (process CPU,
all threads), "times", "threads", "torch"}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def c(n, width):
    return max(1, round(n * width))


class Generator(nn.Module):
    def __init__(self, w, d=100):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(d, c(1024, w), 3, 1, 0, bias=False), nn.BatchNorm2d(c(1024, w)), nn.ReLU(),
            nn.ConvTranspose2d(c(1024, w), c(512, w), 4, 2, 1, output_padding=1, bias=False), nn.BatchNorm2d(c(512, w)), nn.ReLU(),
            nn.ConvTranspose2d(c(512, w), c(256, w), 4, 2, 1, bias=False), nn.BatchNorm2d(c(256, w)), nn.ReLU(),
            nn.ConvTranspose2d(c(256, w), 1, 4, 2, 1, bias=True), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z.view(z.shape[0], -1, 1, 1))


def trunk(w):
    return nn.Sequential(
        nn.Conv2d(1, c(128, w), 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(c(128, w), c(256, w), 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(c(256, w), c(512, w), 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
    )


class Inference(nn.Module):
    def __init__(self, w, d=100):
        super().__init__()
        self.trunk = trunk(w)
        self.mu = nn.Conv2d(c(512, w), d, 3, 1, 0)
        self.logvar = nn.Conv2d(c(512, w), d, 3, 1, 0)

    def forward(self, x):
        h = self.trunk(x)
        return self.mu(h).flatten(1), self.logvar(h).flatten(1)


class Ebm(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.trunk = trunk(w)
        self.head = nn.Conv2d(c(512, w), 1, 3, 1, 0)

    def forward(self, x):  # the authors' E(x): raw output
        return self.head(self.trunk(x)).flatten()


def nll_latent(inf, z, x_gen):
    mu, logvar = inf(x_gen)
    return 0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + 1.8378770664093453).sum(1).mean()


def recon_loss(x, x_rec):  # summed squared error per image (sigma^2 = 1/2), mean over the batch
    return ((x - x_rec) ** 2).flatten(1).sum(1).mean()


def set_grad(net, on):
    for p in net.parameters():
        p.requires_grad_(on)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--width', type=float, default=1.0)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--iters', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    G, I, E = Generator(a.width), Inference(a.width), Ebm(a.width)
    for m in (G, I, E):
        for p in m.parameters():
            nn.init.normal_(p, 0, 0.02)
    optE = torch.optim.Adam(E.parameters(), 1e-4, betas=(0.5, 0.999))
    optI = torch.optim.Adam(I.parameters(), 3e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(G.parameters(), 3e-4, betas=(0.5, 0.999), weight_decay=5e-4)
    x = torch.rand(a.batch, 1, 28, 28) * 2 - 1

    def step():
        z = torch.randn(a.batch, 100)
        eps = torch.randn(a.batch, 100)
        with torch.no_grad():
            x_gen = G(z)
        # EBM step: mean E(x) - mean E(g(z))
        set_grad(E, True); set_grad(I, False); set_grad(G, False)
        optE.zero_grad()
        (E(x).mean() - E(x_gen).mean()).backward()
        nn.utils.clip_grad_norm_(E.parameters(), 100)
        optE.step()
        # inference step: recon + KL (mean over dims) + 0.1 NLL_q(z | g(z))
        set_grad(E, False); set_grad(I, True)
        optI.zero_grad()
        mu, logvar = I(x)
        z_inf = mu + (0.5 * logvar).exp() * eps
        kl = (0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).mean()
        (recon_loss(x, G(z_inf)) + kl + 0.1 * nll_latent(I, z, x_gen)).backward()
        nn.utils.clip_grad_norm_(I.parameters(), 100)
        optI.step()
        # generator step: recon + mean E(g(z)) + 0.1 NLL_q(z | g(z))
        set_grad(I, False); set_grad(G, True)
        optG.zero_grad()
        x_gen2 = G(z)
        (recon_loss(x, G(z_inf.detach())) + E(x_gen2).mean() + 0.1 * nll_latent(I, z, x_gen2)).backward()
        nn.utils.clip_grad_norm_(G.parameters(), 100)
        optG.step()

    for _ in range(a.warmup):
        step()
    times = []
    c0 = time.process_time()
    for _ in range(a.iters):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    cpu_ms = (time.process_time() - c0) * 1e3 / a.iters
    print(json.dumps({'width': a.width, 'batch': a.batch, 'iters': a.iters, 'msPerIter': statistics.median(times),
                      'cpuMsPerIter': cpu_ms, 'times': times, 'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
