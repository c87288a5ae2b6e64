;; Training-step kernels that work directly on the WASM backend's heap (the module imports tfjs-backend-wasm's own
;; memory; engine/backends/wasm-kernels/heap-simd.ts binds them). All pointers are byte offsets into that heap.
;;
;; Why: the native kernels walk broadcast indices per element for same-shape Equal (~8 ns/element native, ~10x
;; faster here) and nearest-neighbour resizing, which the max-pooling gradient of the small CNNs spent most of its
;; time in; plain JavaScript loops over the heap were measured no faster than native (~2-4 ns/element), hence
;; SIMD. Also the filter gradient's im2col and its short-rows GEMM (conv2d-backprop-filter.ts) and a bias added to
;; every row. Loads and stores of v128 say align=1: heap tensors are only 4-byte aligned.
;;
;; Variant (kernels/index.ts): the memory import becomes `(memory 0 65536 shared)` for the threaded backend.
(module
  (import "env" "memory" (memory 0))

  ;; out[i] = a[i] == b[i] for n float32 (IEEE equality), as 1-byte booleans.
  (func (export "equalF32") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $i i32) (local $end16 i32) (local $one v128)
    (local.set $end16 (i32.and (local.get $n) (i32.const -16)))
    (local.set $one (i8x16.splat (i32.const 1)))
    ;; 16 elements per turn: four f32x4 masks (all-ones lanes where equal) narrowed to 16 bytes, then & 1
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end16)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (v128.and
          (i8x16.narrow_i16x8_s
            (i16x8.narrow_i32x4_s
              (f32x4.eq (v128.load align=1 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                           (v128.load align=1 (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))
              (f32x4.eq (v128.load offset=16 align=1 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                           (v128.load offset=16 align=1
                             (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
            (i16x8.narrow_i32x4_s
              (f32x4.eq (v128.load offset=32 align=1 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                           (v128.load offset=32 align=1
                             (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))
              (f32x4.eq (v128.load offset=48 align=1 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                           (v128.load offset=48 align=1
                             (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.get $one)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    ;; the last n % 16 elements one by one
    (block $tail_done (loop $tail
      (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (local.get $out) (local.get $i))
        (f32.eq (f32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tail)))
  )

  ;; Nearest-neighbour resize of NHWC float32 images whose pixel (channel run) is a multiple of 16 bytes: output
  ;; row r of image b copies, for each output column q, the pixel at src + b*inImage + rowTable[r] + colTable[q].
  ;; An output row whose source row equals the previous one's is copied from it whole (memory.copy).
  (func (export "resizeNearest")
    (param $src i32) (param $dst i32) (param $rowTable i32) (param $colTable i32) (param $batch i32)
    (param $outH i32) (param $outW i32) (param $inImage i32) (param $pixel i32) (param $outRow i32)
    (local $b i32) (local $r i32) (local $q i32) (local $k i32)
    (local $srcRow i32) (local $dstRow i32) (local $prev i32) (local $row i32)
    (local.set $b (i32.const 0))
    (block $images_done (loop $images
      (br_if $images_done (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $prev (i32.const -1))
      (local.set $r (i32.const 0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $outH)))
        (local.set $dstRow (i32.add (local.get $dst)
          (i32.mul (i32.add (i32.mul (local.get $b) (local.get $outH)) (local.get $r)) (local.get $outRow))))
        (local.set $row (i32.load (i32.add (local.get $rowTable) (i32.shl (local.get $r) (i32.const 2)))))
        (if (i32.eq (local.get $row) (local.get $prev))
          (then
            (memory.copy (local.get $dstRow) (i32.sub (local.get $dstRow) (local.get $outRow)) (local.get $outRow)))
          (else
            (local.set $srcRow
              (i32.add (i32.add (local.get $src) (i32.mul (local.get $b) (local.get $inImage))) (local.get $row)))
            (local.set $q (i32.const 0))
            (block $cols_done (loop $cols
              (br_if $cols_done (i32.ge_u (local.get $q) (local.get $outW)))
              ;; one pixel, 16 bytes at a time
              (local.set $k (i32.const 0))
              (block $pixel_done (loop $pixel_bytes
                (br_if $pixel_done (i32.ge_u (local.get $k) (local.get $pixel)))
                (v128.store align=1
                  (i32.add (i32.add (local.get $dstRow) (i32.mul (local.get $q) (local.get $pixel))) (local.get $k))
                  (v128.load align=1 (i32.add
                    (i32.add
                      (local.get $srcRow)
                      (i32.load (i32.add (local.get $colTable) (i32.shl (local.get $q) (i32.const 2)))))
                    (local.get $k))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $pixel_bytes)))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $cols)))))
        (local.set $prev (local.get $row))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $images)))
  )

  ;; im2col.ts's transposed patch matrix from channel-major x [inC, batch, inH, inW]: for every tap (a, b), channel
  ;; i and image n, outH rows of outW values x[ih, q*sw + b - padLeft] (ih = p*sh + a - padTop), zero outside
  ;; the image. ranges holds [qlo, qhi) per filter column b: the output columns whose input column is inside.
  (func (export "im2colT")
    (param $x i32) (param $cols i32) (param $ranges i32) (param $batch i32) (param $inH i32) (param $inW i32)
    (param $inC i32) (param $outH i32) (param $outW i32) (param $kh i32) (param $kw i32) (param $sh i32)
    (param $sw i32) (param $padTop i32) (param $padLeft i32)
    (local $a i32) (local $b i32) (local $i i32) (local $n i32) (local $p i32) (local $q i32) (local $dst i32)
    (local $img i32) (local $src i32) (local $ih i32) (local $qlo i32) (local $qhi i32) (local $colOff i32)
    (local.set $dst (local.get $cols))
    (local.set $a (i32.const 0))
    (block $taps_h_done (loop $taps_h
      (br_if $taps_h_done (i32.ge_u (local.get $a) (local.get $kh)))
      (local.set $b (i32.const 0))
      (block $taps_w_done (loop $taps_w
        (br_if $taps_w_done (i32.ge_u (local.get $b) (local.get $kw)))
        (local.set $colOff (i32.sub (local.get $b) (local.get $padLeft)))
        (local.set $qlo (i32.load (i32.add (local.get $ranges) (i32.shl (local.get $b) (i32.const 3)))))
        (local.set $qhi (i32.load offset=4 (i32.add (local.get $ranges) (i32.shl (local.get $b) (i32.const 3)))))
        (local.set $i (i32.const 0))
        (block $channels_done (loop $channels
          (br_if $channels_done (i32.ge_u (local.get $i) (local.get $inC)))
          (local.set $n (i32.const 0))
          (block $images_done (loop $images
            (br_if $images_done (i32.ge_u (local.get $n) (local.get $batch)))
            (local.set $img (i32.add (local.get $x) (i32.shl
              (i32.mul
                (i32.mul (i32.add (i32.mul (local.get $i) (local.get $batch)) (local.get $n)) (local.get $inH))
                (local.get $inW))
              (i32.const 2))))
            (local.set $p (i32.const 0))
            (block $rows_done (loop $rows
              (br_if $rows_done (i32.ge_u (local.get $p) (local.get $outH)))
              (local.set $ih
                (i32.sub (i32.add (i32.mul (local.get $p) (local.get $sh)) (local.get $a)) (local.get $padTop)))
              (if (i32.lt_u (local.get $ih) (local.get $inH)) ;; unsigned: ih < 0 is outside too
                (then
                  (local.set $src (i32.add (local.get $img)
                    (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $inW)) (local.get $colOff)) (i32.const 2))))
                  ;; zeros left of the image, its values, zeros right of it
                  (local.set $q (i32.const 0))
                  (block $left_done (loop $left
                    (br_if $left_done (i32.ge_u (local.get $q) (local.get $qlo)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 2))) (f32.const 0))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $left)))
                  (local.set $q (local.get $qlo))
                  (block $inside_done (loop $inside
                    (br_if $inside_done (i32.ge_u (local.get $q) (local.get $qhi)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 2)))
                      (f32.load
                        (i32.add (local.get $src) (i32.shl (i32.mul (local.get $q) (local.get $sw)) (i32.const 2)))))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $inside)))
                  (local.set $q (local.get $qhi))
                  (block $right_done (loop $right
                    (br_if $right_done (i32.ge_u (local.get $q) (local.get $outW)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 2))) (f32.const 0))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $right))))
                (else
                  ;; a row above or below the image
                  (local.set $q (i32.const 0))
                  (block $outside_done (loop $outside
                    (br_if $outside_done (i32.ge_u (local.get $q) (local.get $outW)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 2))) (f32.const 0))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $outside)))))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $outW) (i32.const 2))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $rows)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br $images)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $channels)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $taps_w)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $taps_h)))
  )

  ;; out[m, n] = sum_p a[m, p] * b[p, n] for a [M, P], b [P, N] (N a multiple of 16): rows in pairs and columns in
  ;; blocks of 16 (eight f32x4 accumulators). A product with few rows and a long reduction, which XNNPACK would
  ;; spend mostly packing b for. An odd last row is computed twice and stored twice (the same value).
  (func (export "gemmShortRows")
    (param $a i32) (param $b i32) (param $out i32) (param $m i32) (param $p i32) (param $n i32)
    (local $r0 i32) (local $r1 i32) (local $c i32) (local $k i32) (local $rowA0 i32) (local $rowA1 i32) (local $bp i32)
    ;; row r0's columns c..c+15, then row r1's
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $va v128)
    (local.set $r0 (i32.const 0))
    (block $pairs_done (loop $pairs
      (br_if $pairs_done (i32.ge_u (local.get $r0) (local.get $m)))
      ;; r1 = min(r0 + 1, m - 1)
      (local.set $r1 (select
        (i32.add (local.get $r0) (i32.const 1))
        (i32.sub (local.get $m) (i32.const 1))
        (i32.lt_u (i32.add (local.get $r0) (i32.const 1)) (i32.sub (local.get $m) (i32.const 1)))))
      (local.set $rowA0 (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r0) (local.get $p)) (i32.const 2))))
      (local.set $rowA1 (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r1) (local.get $p)) (i32.const 2))))
      (local.set $c (i32.const 0))
      (block $blocks_done (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $c) (local.get $n)))
        (local.set $s0 (v128.const i32x4 0 0 0 0)) (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0)) (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $t0 (v128.const i32x4 0 0 0 0)) (local.set $t1 (v128.const i32x4 0 0 0 0))
        (local.set $t2 (v128.const i32x4 0 0 0 0)) (local.set $t3 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $reduce_done (loop $reduce
          (br_if $reduce_done (i32.ge_u (local.get $k) (local.get $p)))
          ;; bp = b[k, c]; s += a[r0, k] * b[k, c..c+15], t += a[r1, k] * b[k, c..c+15]
          (local.set $bp
            (i32.add
              (local.get $b)
              (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $c)) (i32.const 2))))
          (local.set $va (f32x4.splat (f32.load (i32.add (local.get $rowA0) (i32.shl (local.get $k) (i32.const 2))))))
          (local.set $s0 (f32x4.add (f32x4.mul (v128.load align=1 (local.get $bp)) (local.get $va)) (local.get $s0)))
          (local.set $s1
            (f32x4.add (f32x4.mul (v128.load offset=16 align=1 (local.get $bp)) (local.get $va)) (local.get $s1)))
          (local.set $s2
            (f32x4.add (f32x4.mul (v128.load offset=32 align=1 (local.get $bp)) (local.get $va)) (local.get $s2)))
          (local.set $s3
            (f32x4.add (f32x4.mul (v128.load offset=48 align=1 (local.get $bp)) (local.get $va)) (local.get $s3)))
          (local.set $va (f32x4.splat (f32.load (i32.add (local.get $rowA1) (i32.shl (local.get $k) (i32.const 2))))))
          (local.set $t0 (f32x4.add (f32x4.mul (v128.load align=1 (local.get $bp)) (local.get $va)) (local.get $t0)))
          (local.set $t1
            (f32x4.add (f32x4.mul (v128.load offset=16 align=1 (local.get $bp)) (local.get $va)) (local.get $t1)))
          (local.set $t2
            (f32x4.add (f32x4.mul (v128.load offset=32 align=1 (local.get $bp)) (local.get $va)) (local.get $t2)))
          (local.set $t3
            (f32x4.add (f32x4.mul (v128.load offset=48 align=1 (local.get $bp)) (local.get $va)) (local.get $t3)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $reduce)))
        (call $store16
          (local.get $out)
          (local.get $r0)
          (local.get $n)
          (local.get $c)
          (local.get $s0)
          (local.get $s1)
          (local.get $s2)
          (local.get $s3))
        (call $store16
          (local.get $out)
          (local.get $r1)
          (local.get $n)
          (local.get $c)
          (local.get $t0)
          (local.get $t1)
          (local.get $t2)
          (local.get $t3))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $blocks)))
      (local.set $r0 (i32.add (local.get $r0) (i32.const 2)))
      (br $pairs)))
  )

  ;; out[row, c..c+15] = (v0, v1, v2, v3).
  (func $store16 (param $out i32) (param $row i32) (param $n i32) (param $c i32)
    (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128)
    (local $at i32)
    (local.set $at
      (i32.add
        (local.get $out)
        (i32.shl (i32.add (i32.mul (local.get $row) (local.get $n)) (local.get $c)) (i32.const 2))))
    (v128.store align=1 (local.get $at) (local.get $v0))
    (v128.store offset=16 align=1 (local.get $at) (local.get $v1))
    (v128.store offset=32 align=1 (local.get $at) (local.get $v2))
    (v128.store offset=48 align=1 (local.get $at) (local.get $v3)))

  ;; out[r, c] = x[r, c] + v[c] for x [rows, cols] (cols a multiple of 4): a bias added to every row.
  (func (export "addRows") (param $x i32) (param $v i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $base i32)
    (local.set $r (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $base (i32.mul (local.get $r) (local.get $cols)))
      (local.set $c (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $c) (local.get $cols)))
        (v128.store align=1
          (i32.add (local.get $out) (i32.shl (i32.add (local.get $base) (local.get $c)) (i32.const 2)))
          (f32x4.add
            (v128.load align=1
              (i32.add (local.get $x) (i32.shl (i32.add (local.get $base) (local.get $c)) (i32.const 2))))
            (v128.load align=1 (i32.add (local.get $v) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cols)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
  )

  ;; The 2x2 / stride-2 max-pooling gradient on NHWC float32 maps with channels a multiple of 4: for every window,
  ;; dx = (x == y) & dy elementwise (IEEE equality as a mask, so dy passes where x is the window's maximum).
  ;; Writes every dx element inside the 2 outH x 2 outW windows; odd last rows / columns are the caller's.
  (func (export "maxPoolGrad2x2")
    (param $x i32) (param $y i32) (param $dy i32) (param $out i32) (param $batch i32) (param $outH i32)
    (param $outW i32) (param $inH i32) (param $inW i32) (param $channels i32)
    (local $b i32) (local $i i32) (local $j i32) (local $c i32) (local $yOff i32) (local $xOff i32)
    (local $rowBytes i32) (local $at i32) (local $pixel i32) (local $tap i32)
    (local $yv v128) (local $dyv v128)
    (local.set $pixel (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $inW) (local.get $pixel)))
    (local.set $b (i32.const 0))
    (block $images_done (loop $images
      (br_if $images_done (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $i (i32.const 0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $outH)))
        (local.set $j (i32.const 0))
        (block $cols_done (loop $cols
          (br_if $cols_done (i32.ge_u (local.get $j) (local.get $outW)))
          ;; y / dy pixel (b, i, j) at ((b outH + i) outW + j) * pixel; its window's top-left in x at
          ;; ((b inH + 2i) inW + 2j) * pixel
          (local.set $yOff (i32.mul
            (i32.add
              (i32.mul (i32.add (i32.mul (local.get $b) (local.get $outH)) (local.get $i)) (local.get $outW))
              (local.get $j))
            (local.get $pixel)))
          (local.set $xOff (i32.mul
            (i32.add
              (i32.mul
                (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.shl (local.get $i) (i32.const 1)))
                (local.get $inW))
              (i32.shl (local.get $j) (i32.const 1)))
            (local.get $pixel)))
          (local.set $c (i32.const 0))
          (block $channels_done (loop $channels
            (br_if $channels_done (i32.ge_u (local.get $c) (local.get $pixel)))
            (local.set $yv (v128.load align=1 (i32.add (i32.add (local.get $y) (local.get $yOff)) (local.get $c))))
            (local.set $dyv (v128.load align=1 (i32.add (i32.add (local.get $dy) (local.get $yOff)) (local.get $c))))
            (local.set $at (i32.add (local.get $xOff) (local.get $c)))
            ;; the window's four taps (top-left, top-right, bottom-left, bottom-right): dx = (x == y) & dy
            (local.set $tap (local.get $at))
            (v128.store align=1 (i32.add (local.get $out) (local.get $tap))
              (v128.and
                (f32x4.eq (v128.load align=1 (i32.add (local.get $x) (local.get $tap))) (local.get $yv))
                (local.get $dyv)))
            (local.set $tap (i32.add (local.get $at) (local.get $pixel)))
            (v128.store align=1 (i32.add (local.get $out) (local.get $tap))
              (v128.and
                (f32x4.eq (v128.load align=1 (i32.add (local.get $x) (local.get $tap))) (local.get $yv))
                (local.get $dyv)))
            (local.set $tap (i32.add (local.get $at) (local.get $rowBytes)))
            (v128.store align=1 (i32.add (local.get $out) (local.get $tap))
              (v128.and
                (f32x4.eq (v128.load align=1 (i32.add (local.get $x) (local.get $tap))) (local.get $yv))
                (local.get $dyv)))
            (local.set $tap (i32.add (i32.add (local.get $at) (local.get $rowBytes)) (local.get $pixel)))
            (v128.store align=1 (i32.add (local.get $out) (local.get $tap))
              (v128.and
                (f32x4.eq (v128.load align=1 (i32.add (local.get $x) (local.get $tap))) (local.get $yv))
                (local.get $dyv)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $channels)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $images)))
  )

)
