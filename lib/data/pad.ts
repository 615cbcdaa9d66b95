/**
 * Zero-padding images to a larger size, centred — how papers feed 28×28 Fashion-MNIST to networks
 * built for 32×32 inputs (SqueezeNet-32, CIFAR-sized models). Pure.
 */
import type { ImageDataset } from "./dataset";

/** A copy of `ds` with every image zero-padded (centred) to `height` × `width`; channels unchanged. */
export function padImages(ds: ImageDataset, height: number, width: number): ImageDataset {
  const [n, h, w, c] = ds.shape;
  if (height < h || width < w) throw new Error(`cannot pad ${h}×${w} images to a smaller ${height}×${width}`);
  const top = Math.floor((height - h) / 2);
  const left = Math.floor((width - w) / 2);
  const images = new Float32Array(n * height * width * c);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      const src = ((i * h + y) * w) * c;
      const dst = ((i * height + y + top) * width + left) * c;
      images.set(ds.images.subarray(src, src + w * c), dst);
    }
  }
  return { ...ds, images, shape: [n, height, width, c] };
}
