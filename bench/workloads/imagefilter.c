/*
 * imagefilter: an image-processing pipeline over a generated photo-like picture, for the metering benchmark.
 * Written for lilypad's bench/metering.ts (not taken from elsewhere), in the style of a small imaging library:
 * planar float and 8-bit images, a separable Gaussian blur with a normalised kernel and clamped edges, a Sobel
 * gradient with magnitude and direction, non-maximum suppression with hysteresis (Canny), histogram
 * equalisation through a CDF lookup table, a 3x3 median filter with a sorting network, an unsharp mask and a
 * bilinear resize. Floating point follows IEEE-754 in WebAssembly, so the output is the same everywhere.
 *
 *   imagefilter <side> [passes]     side: image width and height in pixels (16..4096); passes: default 1
 *
 * Prints one line with statistics and an FNV-1a checksum of every intermediate image.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int width, height;
  float *data; /* width * height, row-major */
} image_f;

typedef struct {
  int width, height;
  uint8_t *data;
} image_u8;

typedef struct {
  int width, height;
  image_f r, g, b;
} image_rgb;

/* ---------- allocation ---------- */

static void *xmalloc(size_t size) {
  void *p = malloc(size);
  if (!p) {
    fprintf(stderr, "imagefilter: out of memory (%zu bytes)\n", size);
    exit(3);
  }
  return p;
}

static image_f image_f_new(int width, int height) {
  image_f img = {width, height, xmalloc((size_t)width * height * sizeof(float))};
  return img;
}

static image_u8 image_u8_new(int width, int height) {
  image_u8 img = {width, height, xmalloc((size_t)width * height)};
  return img;
}

static void image_f_free(image_f *img) {
  free(img->data);
  img->data = NULL;
}

static void image_u8_free(image_u8 *img) {
  free(img->data);
  img->data = NULL;
}

static inline float px_clamped(const image_f *img, int x, int y) {
  if (x < 0) x = 0;
  if (y < 0) y = 0;
  if (x >= img->width) x = img->width - 1;
  if (y >= img->height) y = img->height - 1;
  return img->data[(size_t)y * img->width + x];
}

static inline uint8_t to_u8(float v) {
  if (v <= 0.0f) return 0;
  if (v >= 255.0f) return 255;
  return (uint8_t)(v + 0.5f);
}

/* ---------- checksums ---------- */

typedef struct {
  uint64_t h;
} fnv64;

static void fnv_init(fnv64 *f) { f->h = 0xcbf29ce484222325ULL; }

static void fnv_bytes(fnv64 *f, const uint8_t *p, size_t n) {
  uint64_t h = f->h;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  f->h = h;
}

static void fnv_image_f(fnv64 *f, const image_f *img) {
  /* Quantised, so the checksum covers the values a viewer would see. */
  size_t n = (size_t)img->width * img->height;
  uint8_t row[256];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    row[k++] = to_u8(img->data[i]);
    if (k == sizeof row) {
      fnv_bytes(f, row, k);
      k = 0;
    }
  }
  fnv_bytes(f, row, k);
}

/* ---------- a deterministic generator ---------- */

typedef struct {
  uint64_t s;
} rng;

static uint32_t rng_next(rng *r) {
  /* xorshift64* */
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}

static float rng_unit(rng *r) { return (rng_next(r) >> 8) * (1.0f / 16777216.0f); }

/* A sky gradient, a few shaded discs, a checkered floor and sensor noise. */
static image_rgb generate_scene(int side, uint64_t seed) {
  image_rgb img = {side, side, image_f_new(side, side), image_f_new(side, side), image_f_new(side, side)};
  rng r = {seed | 1};
  struct {
    float cx, cy, radius, cr, cg, cb;
  } discs[12];
  for (int i = 0; i < 12; i++) {
    discs[i].cx = rng_unit(&r) * side;
    discs[i].cy = rng_unit(&r) * side * 0.7f;
    discs[i].radius = (0.04f + 0.12f * rng_unit(&r)) * side;
    discs[i].cr = 60 + 190 * rng_unit(&r);
    discs[i].cg = 60 + 190 * rng_unit(&r);
    discs[i].cb = 60 + 190 * rng_unit(&r);
  }
  float horizon = side * 0.65f;
  for (int y = 0; y < side; y++) {
    for (int x = 0; x < side; x++) {
      float cr, cg, cb;
      if (y < horizon) {
        float t = y / horizon;
        cr = 90 + 100 * t;
        cg = 140 + 80 * t;
        cb = 230 - 30 * t;
      } else {
        float depth = (y - horizon + 1) / (side - horizon + 1);
        float u = (x - side * 0.5f) / (depth * side * 0.05f + 1);
        float v = 1.0f / depth;
        int check = ((int)floorf(u) + (int)floorf(v * 4)) & 1;
        float shade = 0.4f + 0.6f * depth;
        cr = (check ? 200 : 70) * shade;
        cg = (check ? 190 : 60) * shade;
        cb = (check ? 170 : 50) * shade;
      }
      for (int i = 0; i < 12; i++) {
        float dx = x - discs[i].cx, dy = y - discs[i].cy;
        float d2 = dx * dx + dy * dy, r2 = discs[i].radius * discs[i].radius;
        if (d2 < r2) {
          /* Lambert shading of a sphere lit from the upper left. */
          float nz = sqrtf(1.0f - d2 / r2);
          float nx = dx / discs[i].radius, ny = dy / discs[i].radius;
          float light = fmaxf(0.0f, -0.5f * nx - 0.6f * ny + 0.62f * nz);
          float spec = powf(light, 24.0f) * 120.0f;
          cr = discs[i].cr * (0.25f + 0.75f * light) + spec;
          cg = discs[i].cg * (0.25f + 0.75f * light) + spec;
          cb = discs[i].cb * (0.25f + 0.75f * light) + spec;
        }
      }
      float noise = (rng_unit(&r) - 0.5f) * 18.0f;
      size_t at = (size_t)y * side + x;
      img.r.data[at] = cr + noise;
      img.g.data[at] = cg + noise;
      img.b.data[at] = cb + noise;
    }
  }
  return img;
}

/* ---------- filters ---------- */

/* A normalised Gaussian kernel of radius ceil(3 sigma). Returns its radius; `kernel` holds 2 * radius + 1 taps. */
static int gaussian_kernel(float sigma, float *kernel, int max_radius) {
  int radius = (int)ceilf(3.0f * sigma);
  if (radius > max_radius) radius = max_radius;
  float sum = 0;
  for (int i = -radius; i <= radius; i++) {
    float w = expf(-(float)(i * i) / (2.0f * sigma * sigma));
    kernel[i + radius] = w;
    sum += w;
  }
  for (int i = 0; i < 2 * radius + 1; i++) kernel[i] /= sum;
  return radius;
}

/* Separable convolution: horizontal into `tmp`, vertical into `out`; edges clamp. */
static void gaussian_blur(const image_f *in, image_f *tmp, image_f *out, float sigma) {
  float kernel[64];
  int radius = gaussian_kernel(sigma, kernel, 31);
  int w = in->width, h = in->height;
  for (int y = 0; y < h; y++) {
    const float *row = in->data + (size_t)y * w;
    float *dst = tmp->data + (size_t)y * w;
    for (int x = 0; x < w; x++) {
      float acc = 0;
      if (x >= radius && x < w - radius) {
        for (int k = -radius; k <= radius; k++) acc += row[x + k] * kernel[k + radius];
      } else {
        for (int k = -radius; k <= radius; k++) acc += px_clamped(in, x + k, y) * kernel[k + radius];
      }
      dst[x] = acc;
    }
  }
  for (int y = 0; y < h; y++) {
    float *dst = out->data + (size_t)y * w;
    if (y >= radius && y < h - radius) {
      for (int x = 0; x < w; x++) dst[x] = 0;
      for (int k = -radius; k <= radius; k++) {
        const float *src = tmp->data + (size_t)(y + k) * w;
        float weight = kernel[k + radius];
        for (int x = 0; x < w; x++) dst[x] += src[x] * weight;
      }
    } else {
      for (int x = 0; x < w; x++) {
        float acc = 0;
        for (int k = -radius; k <= radius; k++) acc += px_clamped(tmp, x, y + k) * kernel[k + radius];
        dst[x] = acc;
      }
    }
  }
}

/* ITU-R BT.601 luma. */
static void to_gray(const image_rgb *in, image_f *out) {
  size_t n = (size_t)in->width * in->height;
  for (size_t i = 0; i < n; i++) out->data[i] = 0.299f * in->r.data[i] + 0.587f * in->g.data[i] + 0.114f * in->b.data[i];
}

/* Sobel gradient: magnitude, and direction quantised to 0, 45, 90 or 135 degrees (0..3). */
static void sobel(const image_f *in, image_f *magnitude, image_u8 *direction) {
  int w = in->width, h = in->height;
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      float a = px_clamped(in, x - 1, y - 1), b = px_clamped(in, x, y - 1), c = px_clamped(in, x + 1, y - 1);
      float d = px_clamped(in, x - 1, y), f = px_clamped(in, x + 1, y);
      float g = px_clamped(in, x - 1, y + 1), hh = px_clamped(in, x, y + 1), i = px_clamped(in, x + 1, y + 1);
      float gx = (c + 2 * f + i) - (a + 2 * d + g);
      float gy = (g + 2 * hh + i) - (a + 2 * b + c);
      size_t at = (size_t)y * w + x;
      magnitude->data[at] = sqrtf(gx * gx + gy * gy);
      float angle = atan2f(gy, gx) * (180.0f / 3.14159265f);
      if (angle < 0) angle += 180.0f;
      direction->data[at] = angle < 22.5f || angle >= 157.5f ? 0 : angle < 67.5f ? 1 : angle < 112.5f ? 2 : 3;
    }
  }
}

/* Canny's thinning and hysteresis: keeps local maxima along the gradient, then grows strong edges into weak ones. */
static size_t canny(const image_f *magnitude, const image_u8 *direction, float low, float high, image_u8 *edges, int *stack) {
  int w = magnitude->width, h = magnitude->height;
  memset(edges->data, 0, (size_t)w * h);
  static const int dx[4] = {1, 1, 0, -1}, dy[4] = {0, 1, 1, 1};
  size_t top = 0;
  for (int y = 1; y < h - 1; y++) {
    for (int x = 1; x < w - 1; x++) {
      size_t at = (size_t)y * w + x;
      float m = magnitude->data[at];
      if (m < low) continue;
      int d = direction->data[at];
      float m1 = magnitude->data[(size_t)(y + dy[d]) * w + x + dx[d]];
      float m2 = magnitude->data[(size_t)(y - dy[d]) * w + x - dx[d]];
      if (m < m1 || m < m2) continue;
      if (m >= high) {
        edges->data[at] = 255;
        stack[top++] = (int)at;
      } else {
        edges->data[at] = 128;
      }
    }
  }
  size_t strong = 0;
  while (top > 0) {
    int at = stack[--top];
    strong++;
    int x = at % w, y = at / w;
    for (int ny = y - 1; ny <= y + 1; ny++) {
      for (int nx = x - 1; nx <= x + 1; nx++) {
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        int n = ny * w + nx;
        if (edges->data[n] == 128) {
          edges->data[n] = 255;
          stack[top++] = n;
        }
      }
    }
  }
  size_t n = (size_t)w * h;
  for (size_t i = 0; i < n; i++)
    if (edges->data[i] != 255) edges->data[i] = 0;
  return strong;
}

/* Histogram equalisation of an 8-bit image through its cumulative distribution. */
static void equalize(const image_u8 *in, image_u8 *out) {
  uint32_t histogram[256] = {0};
  size_t n = (size_t)in->width * in->height;
  for (size_t i = 0; i < n; i++) histogram[in->data[i]]++;
  uint32_t cdf = 0, cdf_min = 0;
  uint8_t lut[256];
  for (int v = 0; v < 256; v++) {
    cdf += histogram[v];
    if (cdf_min == 0 && cdf != 0) cdf_min = cdf;
    lut[v] = cdf_min == n ? (uint8_t)v : (uint8_t)(((uint64_t)(cdf - cdf_min) * 255 + (n - cdf_min) / 2) / (n - cdf_min));
  }
  for (size_t i = 0; i < n; i++) out->data[i] = lut[in->data[i]];
}

#define SORT2(a, b)      \
  do {                   \
    if (p[a] > p[b]) {   \
      uint8_t t = p[a];  \
      p[a] = p[b];       \
      p[b] = t;          \
    }                    \
  } while (0)

/* The median of 9 with Paeth's 19-comparison network. */
static inline uint8_t median9(uint8_t *p) {
  SORT2(1, 2); SORT2(4, 5); SORT2(7, 8); SORT2(0, 1); SORT2(3, 4); SORT2(6, 7); SORT2(1, 2); SORT2(4, 5);
  SORT2(7, 8); SORT2(0, 3); SORT2(5, 8); SORT2(4, 7); SORT2(3, 6); SORT2(1, 4); SORT2(2, 5); SORT2(4, 7);
  SORT2(4, 2); SORT2(6, 4); SORT2(4, 2);
  return p[4];
}

static void median3x3(const image_u8 *in, image_u8 *out) {
  int w = in->width, h = in->height;
  uint8_t window[9];
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) {
      int k = 0;
      for (int dy = -1; dy <= 1; dy++) {
        int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
        for (int dx = -1; dx <= 1; dx++) {
          int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
          window[k++] = in->data[(size_t)yy * w + xx];
        }
      }
      out->data[(size_t)y * w + x] = median9(window);
    }
  }
}

/* out = in + amount * (in - blurred), clamped to 0..255. */
static void unsharp(const image_f *in, const image_f *blurred, float amount, image_f *out) {
  size_t n = (size_t)in->width * in->height;
  for (size_t i = 0; i < n; i++) {
    float v = in->data[i] + amount * (in->data[i] - blurred->data[i]);
    out->data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/* Bilinear resampling with pixel centres aligned. */
static void resize_bilinear(const image_f *in, image_f *out) {
  float sx = (float)in->width / out->width, sy = (float)in->height / out->height;
  for (int y = 0; y < out->height; y++) {
    float fy = (y + 0.5f) * sy - 0.5f;
    int y0 = (int)floorf(fy);
    float ty = fy - y0;
    for (int x = 0; x < out->width; x++) {
      float fx = (x + 0.5f) * sx - 0.5f;
      int x0 = (int)floorf(fx);
      float tx = fx - x0;
      float top = px_clamped(in, x0, y0) * (1 - tx) + px_clamped(in, x0 + 1, y0) * tx;
      float bottom = px_clamped(in, x0, y0 + 1) * (1 - tx) + px_clamped(in, x0 + 1, y0 + 1) * tx;
      out->data[(size_t)y * out->width + x] = top * (1 - ty) + bottom * ty;
    }
  }
}

static void quantize(const image_f *in, image_u8 *out) {
  size_t n = (size_t)in->width * in->height;
  for (size_t i = 0; i < n; i++) out->data[i] = to_u8(in->data[i]);
}

static double mean_f(const image_f *img) {
  double sum = 0;
  size_t n = (size_t)img->width * img->height;
  for (size_t i = 0; i < n; i++) sum += img->data[i];
  return sum / n;
}

/* ---------- the pipeline ---------- */

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: imagefilter <side> [passes]\n");
    return 2;
  }
  int side = atoi(argv[1]);
  int passes = argc == 3 ? atoi(argv[2]) : 1;
  if (side < 16 || side > 4096 || passes < 1 || passes > 1000) {
    fprintf(stderr, "imagefilter: side must be 16..4096 and passes 1..1000\n");
    return 2;
  }
  fnv64 sum;
  fnv_init(&sum);
  size_t edge_pixels = 0;
  double brightness = 0;
  for (int pass = 0; pass < passes; pass++) {
    image_rgb scene = generate_scene(side, 0x9e3779b97f4a7c15ULL + pass);
    image_f tmp = image_f_new(side, side);
    image_rgb soft = {side, side, image_f_new(side, side), image_f_new(side, side), image_f_new(side, side)};
    gaussian_blur(&scene.r, &tmp, &soft.r, 1.2f);
    gaussian_blur(&scene.g, &tmp, &soft.g, 1.2f);
    gaussian_blur(&scene.b, &tmp, &soft.b, 1.2f);
    fnv_image_f(&sum, &soft.r);
    fnv_image_f(&sum, &soft.g);
    fnv_image_f(&sum, &soft.b);

    image_f gray = image_f_new(side, side);
    to_gray(&soft, &gray);
    image_f magnitude = image_f_new(side, side);
    image_u8 direction = image_u8_new(side, side);
    sobel(&gray, &magnitude, &direction);
    fnv_image_f(&sum, &magnitude);

    image_u8 edges = image_u8_new(side, side);
    int *stack = xmalloc((size_t)side * side * sizeof(int));
    edge_pixels += canny(&magnitude, &direction, 20.0f, 60.0f, &edges, stack);
    fnv_bytes(&sum, edges.data, (size_t)side * side);
    free(stack);

    image_u8 gray8 = image_u8_new(side, side), equalized = image_u8_new(side, side), denoised = image_u8_new(side, side);
    image_f scene_gray = image_f_new(side, side);
    to_gray(&scene, &scene_gray);
    quantize(&scene_gray, &gray8);
    median3x3(&gray8, &denoised);
    equalize(&denoised, &equalized);
    fnv_bytes(&sum, equalized.data, (size_t)side * side);

    image_f wide_blur = image_f_new(side, side), sharp = image_f_new(side, side);
    gaussian_blur(&scene_gray, &tmp, &wide_blur, 3.0f);
    unsharp(&scene_gray, &wide_blur, 0.8f, &sharp);
    fnv_image_f(&sum, &sharp);

    image_f half = image_f_new(side / 2, side / 2);
    resize_bilinear(&sharp, &half);
    fnv_image_f(&sum, &half);
    brightness += mean_f(&half);

    image_f *floats[] = {&scene.r, &scene.g, &scene.b, &tmp, &soft.r, &soft.g, &soft.b, &gray, &magnitude, &scene_gray, &wide_blur, &sharp, &half};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) image_f_free(floats[i]);
    image_u8 *bytes[] = {&direction, &edges, &gray8, &equalized, &denoised};
    for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++) image_u8_free(bytes[i]);
  }
  printf("imagefilter %dx%d x%d: edge pixels %zu, mean %.3f, checksum %016llx\n", side, side, passes, edge_pixels, brightness / passes,
         (unsigned long long)sum.h);
  return 0;
}
