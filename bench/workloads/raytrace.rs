// raytrace: a Whitted-style ray tracer in Rust (std only), for the metering benchmark. Written for lilypad's
// bench/metering.ts (not taken from elsewhere), in the style of small Rust renderers: a scene of trait-object
// shapes (spheres, planes, axis-aligned boxes) behind a bounding-volume hierarchy, materials with diffuse,
// specular, mirror and glass (Fresnel via Schlick, refraction with total internal reflection), point lights with
// shadow rays, a procedural checker texture, 2x2 supersampling and gamma-corrected 8-bit output.
//
//   raytrace <side> [frames]     side: image width and height in pixels (8..2048); frames: default 1
//
// Each frame moves the camera a little. Prints the average colour and an FNV-1a checksum of the pixels.
use std::env;
use std::ops::{Add, Mul, Neg, Sub};
use std::process;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Vec3 {
    x: f64,
    y: f64,
    z: f64,
}

impl Vec3 {
    const ZERO: Vec3 = Vec3 { x: 0.0, y: 0.0, z: 0.0 };
    fn new(x: f64, y: f64, z: f64) -> Vec3 {
        Vec3 { x, y, z }
    }
    fn dot(self, o: Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    fn cross(self, o: Vec3) -> Vec3 {
        Vec3::new(self.y * o.z - self.z * o.y, self.z * o.x - self.x * o.z, self.x * o.y - self.y * o.x)
    }
    fn length(self) -> f64 {
        self.dot(self).sqrt()
    }
    fn normalized(self) -> Vec3 {
        self * (1.0 / self.length())
    }
    fn hadamard(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x * o.x, self.y * o.y, self.z * o.z)
    }
    fn min(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x.min(o.x), self.y.min(o.y), self.z.min(o.z))
    }
    fn max(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x.max(o.x), self.y.max(o.y), self.z.max(o.z))
    }
    fn axis(self, i: usize) -> f64 {
        match i {
            0 => self.x,
            1 => self.y,
            _ => self.z,
        }
    }
    fn reflect(self, n: Vec3) -> Vec3 {
        self - n * (2.0 * self.dot(n))
    }
}

impl Add for Vec3 {
    type Output = Vec3;
    fn add(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}

impl Sub for Vec3 {
    type Output = Vec3;
    fn sub(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}

impl Mul<f64> for Vec3 {
    type Output = Vec3;
    fn mul(self, s: f64) -> Vec3 {
        Vec3::new(self.x * s, self.y * s, self.z * s)
    }
}

impl Neg for Vec3 {
    type Output = Vec3;
    fn neg(self) -> Vec3 {
        Vec3::new(-self.x, -self.y, -self.z)
    }
}

#[derive(Clone, Copy)]
struct Ray {
    origin: Vec3,
    dir: Vec3,
}

impl Ray {
    fn at(&self, t: f64) -> Vec3 {
        self.origin + self.dir * t
    }
}

#[derive(Clone, Copy)]
enum Texture {
    Solid(Vec3),
    Checker { a: Vec3, b: Vec3, scale: f64 },
}

impl Texture {
    fn color(&self, p: Vec3) -> Vec3 {
        match *self {
            Texture::Solid(c) => c,
            Texture::Checker { a, b, scale } => {
                let s = (p.x * scale).floor() as i64 + (p.y * scale).floor() as i64 + (p.z * scale).floor() as i64;
                if s.rem_euclid(2) == 0 {
                    a
                } else {
                    b
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Material {
    texture: Texture,
    diffuse: f64,
    specular: f64,
    shininess: f64,
    reflectivity: f64,
    /// 0 for opaque; otherwise the index of refraction.
    ior: f64,
}

struct Hit {
    t: f64,
    point: Vec3,
    normal: Vec3,
    material: usize,
}

#[derive(Clone, Copy)]
struct Aabb {
    lo: Vec3,
    hi: Vec3,
}

impl Aabb {
    fn union(self, o: Aabb) -> Aabb {
        Aabb { lo: self.lo.min(o.lo), hi: self.hi.max(o.hi) }
    }
    fn center(self) -> Vec3 {
        (self.lo + self.hi) * 0.5
    }
    /// The slab test; returns whether the ray meets the box before `t_max`.
    fn hit(&self, ray: &Ray, inv: Vec3, t_max: f64) -> bool {
        let mut t0 = 1e-6f64;
        let mut t1 = t_max;
        for axis in 0..3 {
            let o = ray.origin.axis(axis);
            let d = inv.axis(axis);
            let mut near = (self.lo.axis(axis) - o) * d;
            let mut far = (self.hi.axis(axis) - o) * d;
            if near > far {
                std::mem::swap(&mut near, &mut far);
            }
            t0 = t0.max(near);
            t1 = t1.min(far);
            if t0 > t1 {
                return false;
            }
        }
        true
    }
}

trait Shape {
    fn intersect(&self, ray: &Ray, t_max: f64) -> Option<Hit>;
    fn bounds(&self) -> Option<Aabb>;
}

struct Sphere {
    center: Vec3,
    radius: f64,
    material: usize,
}

impl Shape for Sphere {
    fn intersect(&self, ray: &Ray, t_max: f64) -> Option<Hit> {
        let oc = ray.origin - self.center;
        let b = oc.dot(ray.dir);
        let c = oc.dot(oc) - self.radius * self.radius;
        let disc = b * b - c;
        if disc < 0.0 {
            return None;
        }
        let sq = disc.sqrt();
        let mut t = -b - sq;
        if t < 1e-6 {
            t = -b + sq;
        }
        if t < 1e-6 || t >= t_max {
            return None;
        }
        let point = ray.at(t);
        Some(Hit { t, point, normal: (point - self.center) * (1.0 / self.radius), material: self.material })
    }
    fn bounds(&self) -> Option<Aabb> {
        let r = Vec3::new(self.radius, self.radius, self.radius);
        Some(Aabb { lo: self.center - r, hi: self.center + r })
    }
}

struct Plane {
    normal: Vec3,
    offset: f64,
    material: usize,
}

impl Shape for Plane {
    fn intersect(&self, ray: &Ray, t_max: f64) -> Option<Hit> {
        let denom = self.normal.dot(ray.dir);
        if denom.abs() < 1e-9 {
            return None;
        }
        let t = (self.offset - self.normal.dot(ray.origin)) / denom;
        if t < 1e-6 || t >= t_max {
            return None;
        }
        Some(Hit { t, point: ray.at(t), normal: self.normal, material: self.material })
    }
    fn bounds(&self) -> Option<Aabb> {
        None
    }
}

struct Cuboid {
    bounds: Aabb,
    material: usize,
}

impl Shape for Cuboid {
    fn intersect(&self, ray: &Ray, t_max: f64) -> Option<Hit> {
        let mut t0 = 1e-6f64;
        let mut t1 = t_max;
        let mut axis_hit = 0;
        let mut sign = 1.0;
        for axis in 0..3 {
            let o = ray.origin.axis(axis);
            let d = ray.dir.axis(axis);
            if d.abs() < 1e-12 {
                if o < self.bounds.lo.axis(axis) || o > self.bounds.hi.axis(axis) {
                    return None;
                }
                continue;
            }
            let mut near = (self.bounds.lo.axis(axis) - o) / d;
            let mut far = (self.bounds.hi.axis(axis) - o) / d;
            let mut s = -1.0;
            if near > far {
                std::mem::swap(&mut near, &mut far);
                s = 1.0;
            }
            if near > t0 {
                t0 = near;
                axis_hit = axis;
                sign = s;
            }
            t1 = t1.min(far);
            if t0 > t1 {
                return None;
            }
        }
        if t0 <= 1e-6 {
            return None;
        }
        let normal = match axis_hit {
            0 => Vec3::new(sign, 0.0, 0.0),
            1 => Vec3::new(0.0, sign, 0.0),
            _ => Vec3::new(0.0, 0.0, sign),
        };
        Some(Hit { t: t0, point: ray.at(t0), normal, material: self.material })
    }
    fn bounds(&self) -> Option<Aabb> {
        Some(self.bounds)
    }
}

/// A bounding-volume hierarchy over the bounded shapes, split at the median centre of the widest axis.
enum Bvh {
    Leaf { bounds: Aabb, shapes: Vec<usize> },
    Node { bounds: Aabb, left: Box<Bvh>, right: Box<Bvh> },
}

impl Bvh {
    fn build(shapes: &[Box<dyn Shape>], mut ids: Vec<usize>) -> Bvh {
        let bounds = ids.iter().map(|&i| shapes[i].bounds().unwrap()).reduce(|a, b| a.union(b)).unwrap();
        if ids.len() <= 2 {
            return Bvh::Leaf { bounds, shapes: ids };
        }
        let extent = bounds.hi - bounds.lo;
        let axis = if extent.x > extent.y && extent.x > extent.z { 0 } else if extent.y > extent.z { 1 } else { 2 };
        ids.sort_by(|&a, &b| {
            let ca = shapes[a].bounds().unwrap().center().axis(axis);
            let cb = shapes[b].bounds().unwrap().center().axis(axis);
            ca.partial_cmp(&cb).unwrap()
        });
        let right = ids.split_off(ids.len() / 2);
        Bvh::Node { bounds, left: Box::new(Bvh::build(shapes, ids)), right: Box::new(Bvh::build(shapes, right)) }
    }

    fn intersect(&self, shapes: &[Box<dyn Shape>], ray: &Ray, inv: Vec3, t_max: f64, best: &mut Option<Hit>, tests: &mut u64) {
        let bounds = match self {
            Bvh::Leaf { bounds, .. } | Bvh::Node { bounds, .. } => bounds,
        };
        let limit = best.as_ref().map_or(t_max, |h| h.t);
        if !bounds.hit(ray, inv, limit) {
            return;
        }
        match self {
            Bvh::Leaf { shapes: ids, .. } => {
                for &i in ids {
                    *tests += 1;
                    let limit = best.as_ref().map_or(t_max, |h| h.t);
                    if let Some(hit) = shapes[i].intersect(ray, limit) {
                        *best = Some(hit);
                    }
                }
            }
            Bvh::Node { left, right, .. } => {
                left.intersect(shapes, ray, inv, t_max, best, tests);
                right.intersect(shapes, ray, inv, t_max, best, tests);
            }
        }
    }
}

struct Light {
    position: Vec3,
    color: Vec3,
}

struct Scene {
    shapes: Vec<Box<dyn Shape>>,
    unbounded: Vec<usize>,
    bvh: Bvh,
    materials: Vec<Material>,
    lights: Vec<Light>,
    sky_top: Vec3,
    sky_bottom: Vec3,
    tests: u64,
}

/// A small linear congruential generator, for a reproducible scene.
struct Lcg(u64);

impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Scene {
    fn build() -> Scene {
        let mut materials = vec![
            Material {
                texture: Texture::Checker { a: Vec3::new(0.9, 0.9, 0.85), b: Vec3::new(0.15, 0.15, 0.2), scale: 1.0 },
                diffuse: 0.9,
                specular: 0.1,
                shininess: 10.0,
                reflectivity: 0.15,
                ior: 0.0,
            },
            Material { texture: Texture::Solid(Vec3::new(0.95, 0.95, 0.95)), diffuse: 0.05, specular: 0.9, shininess: 200.0, reflectivity: 0.9, ior: 0.0 },
            Material { texture: Texture::Solid(Vec3::new(0.9, 0.95, 1.0)), diffuse: 0.02, specular: 0.8, shininess: 300.0, reflectivity: 0.1, ior: 1.5 },
        ];
        let mut shapes: Vec<Box<dyn Shape>> = vec![Box::new(Plane { normal: Vec3::new(0.0, 1.0, 0.0), offset: 0.0, material: 0 })];
        let mut rng = Lcg(0x5eed);
        shapes.push(Box::new(Sphere { center: Vec3::new(0.0, 1.0, 0.0), radius: 1.0, material: 1 }));
        shapes.push(Box::new(Sphere { center: Vec3::new(2.2, 0.8, 1.0), radius: 0.8, material: 2 }));
        for i in 0..40 {
            let color = Vec3::new(0.2 + 0.8 * rng.next_f64(), 0.2 + 0.8 * rng.next_f64(), 0.2 + 0.8 * rng.next_f64());
            materials.push(Material {
                texture: Texture::Solid(color),
                diffuse: 0.8,
                specular: 0.3 * rng.next_f64(),
                shininess: 20.0 + 80.0 * rng.next_f64(),
                reflectivity: if i % 5 == 0 { 0.4 } else { 0.0 },
                ior: 0.0,
            });
            let material = materials.len() - 1;
            let angle = i as f64 * 0.61;
            let distance = 2.5 + 0.18 * i as f64;
            let center = Vec3::new(angle.cos() * distance, 0.0, angle.sin() * distance);
            let size = 0.2 + 0.35 * rng.next_f64();
            if i % 3 == 0 {
                let half = Vec3::new(size, size, size);
                let lifted = center + Vec3::new(0.0, size, 0.0);
                shapes.push(Box::new(Cuboid { bounds: Aabb { lo: lifted - half, hi: lifted + half }, material }));
            } else {
                shapes.push(Box::new(Sphere { center: center + Vec3::new(0.0, size, 0.0), radius: size, material }));
            }
        }
        let bounded: Vec<usize> = (0..shapes.len()).filter(|&i| shapes[i].bounds().is_some()).collect();
        let unbounded: Vec<usize> = (0..shapes.len()).filter(|&i| shapes[i].bounds().is_none()).collect();
        let bvh = Bvh::build(&shapes, bounded);
        Scene {
            shapes,
            unbounded,
            bvh,
            materials,
            lights: vec![
                Light { position: Vec3::new(-5.0, 8.0, -4.0), color: Vec3::new(0.8, 0.8, 0.75) },
                Light { position: Vec3::new(6.0, 5.0, -2.0), color: Vec3::new(0.3, 0.35, 0.5) },
            ],
            sky_top: Vec3::new(0.35, 0.55, 0.95),
            sky_bottom: Vec3::new(0.9, 0.9, 1.0),
            tests: 0,
        }
    }

    fn intersect(&mut self, ray: &Ray, t_max: f64) -> Option<Hit> {
        let inv = Vec3::new(1.0 / ray.dir.x, 1.0 / ray.dir.y, 1.0 / ray.dir.z);
        let mut best: Option<Hit> = None;
        let mut tests = 0;
        self.bvh.intersect(&self.shapes, ray, inv, t_max, &mut best, &mut tests);
        for &i in &self.unbounded {
            tests += 1;
            let limit = best.as_ref().map_or(t_max, |h| h.t);
            if let Some(hit) = self.shapes[i].intersect(ray, limit) {
                best = Some(hit);
            }
        }
        self.tests += tests;
        best
    }

    fn trace(&mut self, ray: &Ray, depth: u32) -> Vec3 {
        let hit = match self.intersect(ray, f64::INFINITY) {
            Some(hit) => hit,
            None => {
                let t = 0.5 * (ray.dir.y + 1.0);
                return self.sky_bottom * (1.0 - t) + self.sky_top * t;
            }
        };
        let material = self.materials[hit.material];
        let base = material.texture.color(hit.point);
        let inside = hit.normal.dot(ray.dir) > 0.0;
        let normal = if inside { -hit.normal } else { hit.normal };
        let mut color = base * 0.08; // ambient
        for li in 0..self.lights.len() {
            let (position, light_color) = (self.lights[li].position, self.lights[li].color);
            let to_light = position - hit.point;
            let distance = to_light.length();
            let l = to_light * (1.0 / distance);
            let lambert = normal.dot(l);
            if lambert <= 0.0 {
                continue;
            }
            let shadow = Ray { origin: hit.point + normal * 1e-4, dir: l };
            if self.intersect(&shadow, distance).is_some() {
                continue;
            }
            color = color + base.hadamard(light_color) * (material.diffuse * lambert);
            let h = (l - ray.dir).normalized();
            let spec = normal.dot(h).max(0.0).powf(material.shininess);
            color = color + light_color * (material.specular * spec);
        }
        if depth >= 5 {
            return color;
        }
        if material.ior > 0.0 {
            let (n1, n2) = if inside { (material.ior, 1.0) } else { (1.0, material.ior) };
            let cos_i = -normal.dot(ray.dir);
            let eta = n1 / n2;
            let k = 1.0 - eta * eta * (1.0 - cos_i * cos_i);
            let r0 = ((n1 - n2) / (n1 + n2)).powi(2);
            let fresnel = r0 + (1.0 - r0) * (1.0 - cos_i).powi(5);
            let reflected = Ray { origin: hit.point + normal * 1e-4, dir: ray.dir.reflect(normal) };
            let reflect_color = self.trace(&reflected, depth + 1);
            if k < 0.0 {
                return color + reflect_color;
            }
            let dir = (ray.dir * eta + normal * (eta * cos_i - k.sqrt())).normalized();
            let refracted = Ray { origin: hit.point - normal * 1e-4, dir };
            let refract_color = self.trace(&refracted, depth + 1);
            return color + reflect_color * fresnel + refract_color.hadamard(base) * (1.0 - fresnel);
        }
        if material.reflectivity > 0.0 {
            let reflected = Ray { origin: hit.point + normal * 1e-4, dir: ray.dir.reflect(normal) };
            color = color * (1.0 - material.reflectivity) + self.trace(&reflected, depth + 1) * material.reflectivity;
        }
        color
    }
}

struct Camera {
    origin: Vec3,
    corner: Vec3,
    horizontal: Vec3,
    vertical: Vec3,
}

impl Camera {
    fn look_at(from: Vec3, at: Vec3, fov_degrees: f64) -> Camera {
        let half = (fov_degrees.to_radians() / 2.0).tan();
        let w = (from - at).normalized();
        let u = Vec3::new(0.0, 1.0, 0.0).cross(w).normalized();
        let v = w.cross(u);
        let horizontal = u * (2.0 * half);
        let vertical = v * (2.0 * half);
        Camera { origin: from, corner: from - horizontal * 0.5 - vertical * 0.5 - w, horizontal, vertical }
    }
    fn ray(&self, s: f64, t: f64) -> Ray {
        Ray { origin: self.origin, dir: (self.corner + self.horizontal * s + self.vertical * t - self.origin).normalized() }
    }
}

fn to_byte(c: f64) -> u8 {
    let g = c.max(0.0).min(1.0).powf(1.0 / 2.2);
    (g * 255.0 + 0.5) as u8
}

fn render(scene: &mut Scene, camera: &Camera, side: usize) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(side * side * 3);
    let offsets = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)];
    for y in 0..side {
        for x in 0..side {
            let mut sum = Vec3::ZERO;
            for &(dx, dy) in &offsets {
                let s = (x as f64 + dx) / side as f64;
                let t = 1.0 - (y as f64 + dy) / side as f64;
                sum = sum + scene.trace(&camera.ray(s, t), 0);
            }
            let c = sum * 0.25;
            pixels.push(to_byte(c.x));
            pixels.push(to_byte(c.y));
            pixels.push(to_byte(c.z));
        }
    }
    pixels
}

fn main() {
    let args: Vec<String> = env::args().collect();
    let usage = || -> ! {
        eprintln!("usage: raytrace <side> [frames]   (side 8..2048, frames 1..1000)");
        process::exit(2);
    };
    if args.len() < 2 || args.len() > 3 {
        usage();
    }
    let side: usize = args[1].parse().unwrap_or_else(|_| usage());
    let frames: usize = if args.len() == 3 { args[2].parse().unwrap_or_else(|_| usage()) } else { 1 };
    if !(8..=2048).contains(&side) || !(1..=1000).contains(&frames) {
        usage();
    }
    let mut scene = Scene::build();
    let mut hash: u64 = 0xcbf29ce484222325;
    let mut total = [0u64; 3];
    for frame in 0..frames {
        let angle = 0.3 + frame as f64 * 0.05;
        let camera = Camera::look_at(Vec3::new(angle.sin() * 9.0, 3.5, -angle.cos() * 9.0), Vec3::new(0.0, 0.8, 0.0), 50.0);
        let pixels = render(&mut scene, &camera, side);
        for (i, &p) in pixels.iter().enumerate() {
            hash = (hash ^ p as u64).wrapping_mul(0x100000001b3);
            total[i % 3] += p as u64;
        }
    }
    let n = (side * side * frames) as f64;
    println!(
        "raytrace {}x{} x{}: mean rgb {:.3} {:.3} {:.3}, {} intersection tests, checksum {:016x}",
        side,
        side,
        frames,
        total[0] as f64 / n,
        total[1] as f64 / n,
        total[2] as f64 / n,
        scene.tests,
        hash
    );
}
