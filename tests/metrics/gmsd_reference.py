# Independent GMSD reference in plain Python (no numpy on this machine),
# written from GMSD.m / docs/METRICS.md with MATLAB's conv2 semantics spelled out:
# full convolution, then the 'same' central part starting at ceil((k-1)/2).
import math
def lcg_frame(w, h, c, lo, hi, seed):
    s = seed; px = []
    for y in range(h):
        row = []
        for x in range(w * c):
            s = (s * 1103515245 + 12345) & 0xffffffff
            row.append(lo + (s >> 16) % (hi - lo + 1))
        px.append(row)
    return px
def rgb2gray(px, w, h, c):
    if c == 1: return [[float(v) for v in r] for r in px]
    out = []
    for r in px:
        o = []
        for x in range(w):
            v = 0.298936021293775*r[3*x] + 0.587043074451121*r[3*x+1] + 0.114020904255103*r[3*x+2]
            o.append(float(math.floor(v + 0.5)))  # v >= 0: half away from zero
        out.append(o)
    return out
def conv2_same(A, K):
    H, W = len(A), len(A[0]); kh, kw = len(K), len(K[0])
    full = [[0.0]*(W+kw-1) for _ in range(H+kh-1)]
    for i in range(H+kh-1):
        for j in range(W+kw-1):
            s = 0.0
            for k in range(kh):
                for l in range(kw):
                    a, b = i-k, j-l
                    if 0 <= a < H and 0 <= b < W: s += A[a][b]*K[k][l]
            full[i][j] = s
    r0, c0 = math.ceil((kh-1)/2), math.ceil((kw-1)/2)
    return [row[c0:c0+W] for row in full[r0:r0+H]]
def gmsd(g1, g2):
    ave = [[0.25, 0.25], [0.25, 0.25]]
    Y1 = [r[::2] for r in conv2_same(g1, ave)[::2]]
    Y2 = [r[::2] for r in conv2_same(g2, ave)[::2]]
    dx = [[1/3, 0, -1/3]]*3
    dy = [[1/3]*3, [0]*3, [-1/3]*3]
    def gm(Y):
        ix, iy = conv2_same(Y, dx), conv2_same(Y, dy)
        return [[math.sqrt(a*a+b*b) for a, b in zip(ra, rb)] for ra, rb in zip(ix, iy)]
    m1, m2 = gm(Y1), gm(Y2)
    q = [(2*a*b+170)/(a*a+b*b+170) for ra, rb in zip(m1, m2) for a, b in zip(ra, rb)]
    mu = sum(q)/len(q)
    return math.sqrt(sum((v-mu)**2 for v in q)/(len(q)-1))
def crop(g, n): return [r[n:len(r)-n] for r in g[n:len(g)-n]]
for (w, h, c, sa, sb, cr) in [(9, 7, 3, 21, 22, 0), (9, 7, 3, 21, 22, 1), (10, 8, 1, 5, 6, 0), (13, 11, 3, 31, 32, 2)]:
    a = rgb2gray(lcg_frame(w, h, c, 0, 255, sa), w, h, c)
    b = rgb2gray(lcg_frame(w, h, c, 0, 255, sb), w, h, c)
    print(w, h, c, sa, sb, cr, repr(gmsd(crop(a, cr), crop(b, cr))))
# hand-worked case: 4x4 gray zeros vs top-left 2x2 block of 12
z = [[0.0]*4 for _ in range(4)]
t = [[12.0 if (y < 2 and x < 2) else 0.0 for x in range(4)] for y in range(4)]
print("hand", repr(gmsd(z, t)))
