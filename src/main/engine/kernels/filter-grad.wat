;; The convolution filter gradient as one register-blocked SIMD loop on the WASM backend's heap, with no patch
;; matrix (used by engine/backends/wasm-kernels/conv2d-backprop-filter.ts for c_out % 8 == 0):
;;
;;   dW[r, o] += sum_{n,p,q} xPad[n, p*sh + a, q*sw + b, i] * dy[n, p, q, o]      r = (a*kw + b)*Ci + i
;;
;; Why: im2col + GEMM writes and re-reads a patch matrix kh*kw times the size of x, and XNNPACK repacks all of dy
;; on every call. Here each image's x and dy (tens of KB) stay in L1/L2 while every tile of dW passes over them:
;; a tile is 4 rows r x 8 columns o (eight f32x4 accumulators); per output pixel it loads the 4 x values (splat
;; from the rows' offsets into the padded image) and 2 vectors of dy, and does 8 multiply-adds. x comes
;; zero-padded (the caller copies it), so no tap needs a border test; the last row tile repeats row R - 1 (same
;; loads, same sums, same stores), so any R works.
;;
;; Variants (kernels/index.ts): f32x4.relaxed_madd is lowered to mul + add where relaxed SIMD is off, and the
;; memory import below becomes `(memory 0 65536 shared)` for the threaded backend's shared heap.
(module
  (import "env" "memory" (memory 0))

  ;; All pointers and sizes in bytes except n, ho, wo, r, co. offsets holds R int32 byte offsets of row r's tap and
  ;; channel inside a padded image; prow / pcol are the bytes between the x positions of consecutive output rows /
  ;; columns (stride included).
  (func (export "filterGrad")
    (param $x i32) (param $dy i32) (param $dW i32) (param $offsets i32) (param $n i32) (param $img i32)
    (param $ho i32) (param $wo i32) (param $prow i32) (param $pcol i32) (param $r i32) (param $co i32)
    (local $image i32) (local $r0 i32) (local $c i32) (local $p i32) (local $q i32)
    (local $xImg i32) (local $dyImg i32) (local $xp i32) (local $dyp i32) (local $rowBytes i32)
    ;; the tile's four rows: tap offsets into the padded image, and their rows of dW
    (local $off0 i32) (local $off1 i32) (local $off2 i32) (local $off3 i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $rj i32)
    ;; accumulators: row j, columns c..c+3 ($aj0) and c+4..c+7 ($aj1)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $xs v128) (local $d0 v128) (local $d1 v128)
    (local.set $rowBytes (i32.mul (local.get $co) (i32.const 4)))
    (local.set $image (i32.const 0))
    (block $images_done (loop $images
      (br_if $images_done (i32.ge_u (local.get $image) (local.get $n)))
      (local.set $xImg (i32.add (local.get $x) (i32.mul (local.get $image) (local.get $img))))
      (local.set $dyImg (i32.add (local.get $dy)
        (i32.mul (i32.mul (i32.mul (local.get $image) (local.get $ho)) (local.get $wo)) (local.get $rowBytes))))
      ;; column blocks of 8 floats (32 bytes) ...
      (local.set $c (i32.const 0))
      (block $columns_done (loop $columns
        (br_if $columns_done (i32.ge_u (local.get $c) (local.get $rowBytes)))
        ;; ... times row tiles of 4
        (local.set $r0 (i32.const 0))
        (block $rows_done (loop $rows
          (br_if $rows_done (i32.ge_u (local.get $r0) (local.get $r)))
          ;; the tile's rows r0 .. r0 + 3 (the last one repeated past R): tap offsets and rows of dW
          (local.set $rj (call $row (local.get $r0) (i32.const 0) (local.get $r)))
          (local.set $off0 (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $rj) (i32.const 2)))))
          (local.set $w0 (i32.add (local.get $dW) (i32.mul (local.get $rj) (local.get $rowBytes))))
          (local.set $rj (call $row (local.get $r0) (i32.const 1) (local.get $r)))
          (local.set $off1 (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $rj) (i32.const 2)))))
          (local.set $w1 (i32.add (local.get $dW) (i32.mul (local.get $rj) (local.get $rowBytes))))
          (local.set $rj (call $row (local.get $r0) (i32.const 2) (local.get $r)))
          (local.set $off2 (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $rj) (i32.const 2)))))
          (local.set $w2 (i32.add (local.get $dW) (i32.mul (local.get $rj) (local.get $rowBytes))))
          (local.set $rj (call $row (local.get $r0) (i32.const 3) (local.get $r)))
          (local.set $off3 (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $rj) (i32.const 2)))))
          (local.set $w3 (i32.add (local.get $dW) (i32.mul (local.get $rj) (local.get $rowBytes))))
          ;; the tile's current sums
          (local.set $a00 (v128.load (i32.add (local.get $w0) (local.get $c))))
          (local.set $a01 (v128.load offset=16 (i32.add (local.get $w0) (local.get $c))))
          (local.set $a10 (v128.load (i32.add (local.get $w1) (local.get $c))))
          (local.set $a11 (v128.load offset=16 (i32.add (local.get $w1) (local.get $c))))
          (local.set $a20 (v128.load (i32.add (local.get $w2) (local.get $c))))
          (local.set $a21 (v128.load offset=16 (i32.add (local.get $w2) (local.get $c))))
          (local.set $a30 (v128.load (i32.add (local.get $w3) (local.get $c))))
          (local.set $a31 (v128.load offset=16 (i32.add (local.get $w3) (local.get $c))))
          ;; over the output pixels (p, q) of this image
          (local.set $p (i32.const 0))
          (block $out_rows_done (loop $out_rows
            (br_if $out_rows_done (i32.ge_u (local.get $p) (local.get $ho)))
            (local.set $xp (i32.add (local.get $xImg) (i32.mul (local.get $p) (local.get $prow))))
            (local.set $dyp (i32.add
              (i32.add (local.get $dyImg) (i32.mul (i32.mul (local.get $p) (local.get $wo)) (local.get $rowBytes)))
              (local.get $c)))
            (local.set $q (i32.const 0))
            (block $out_cols_done (loop $out_cols
              (br_if $out_cols_done (i32.ge_u (local.get $q) (local.get $wo)))
              (local.set $d0 (v128.load (local.get $dyp)))
              (local.set $d1 (v128.load offset=16 (local.get $dyp)))
              ;; row j: a_j += x[tap of row j] * dy[c..c+7]
              (local.set $xs (v128.load32_splat (i32.add (local.get $xp) (local.get $off0))))
              (local.set $a00 (f32x4.relaxed_madd (local.get $xs) (local.get $d0) (local.get $a00)))
              (local.set $a01 (f32x4.relaxed_madd (local.get $xs) (local.get $d1) (local.get $a01)))
              (local.set $xs (v128.load32_splat (i32.add (local.get $xp) (local.get $off1))))
              (local.set $a10 (f32x4.relaxed_madd (local.get $xs) (local.get $d0) (local.get $a10)))
              (local.set $a11 (f32x4.relaxed_madd (local.get $xs) (local.get $d1) (local.get $a11)))
              (local.set $xs (v128.load32_splat (i32.add (local.get $xp) (local.get $off2))))
              (local.set $a20 (f32x4.relaxed_madd (local.get $xs) (local.get $d0) (local.get $a20)))
              (local.set $a21 (f32x4.relaxed_madd (local.get $xs) (local.get $d1) (local.get $a21)))
              (local.set $xs (v128.load32_splat (i32.add (local.get $xp) (local.get $off3))))
              (local.set $a30 (f32x4.relaxed_madd (local.get $xs) (local.get $d0) (local.get $a30)))
              (local.set $a31 (f32x4.relaxed_madd (local.get $xs) (local.get $d1) (local.get $a31)))
              (local.set $xp (i32.add (local.get $xp) (local.get $pcol)))
              (local.set $dyp (i32.add (local.get $dyp) (local.get $rowBytes)))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $out_cols)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $out_rows)))
          (v128.store (i32.add (local.get $w0) (local.get $c)) (local.get $a00))
          (v128.store offset=16 (i32.add (local.get $w0) (local.get $c)) (local.get $a01))
          (v128.store (i32.add (local.get $w1) (local.get $c)) (local.get $a10))
          (v128.store offset=16 (i32.add (local.get $w1) (local.get $c)) (local.get $a11))
          (v128.store (i32.add (local.get $w2) (local.get $c)) (local.get $a20))
          (v128.store offset=16 (i32.add (local.get $w2) (local.get $c)) (local.get $a21))
          (v128.store (i32.add (local.get $w3) (local.get $c)) (local.get $a30))
          (v128.store offset=16 (i32.add (local.get $w3) (local.get $c)) (local.get $a31))
          (local.set $r0 (i32.add (local.get $r0) (i32.const 4)))
          (br $rows)))
        (local.set $c (i32.add (local.get $c) (i32.const 32)))
        (br $columns)))
      (local.set $image (i32.add (local.get $image) (i32.const 1)))
      (br $images)))
  )

  ;; Row r0 + j of the tile, or R - 1 past the end (the repeated last row). Called 8 times per tile, outside the
  ;; pixel loops, so the calls cost nothing measurable.
  (func $row (param $r0 i32) (param $j i32) (param $r i32) (result i32)
    (select
      (i32.add (local.get $r0) (local.get $j))
      (i32.sub (local.get $r) (i32.const 1))
      (i32.lt_s (i32.add (local.get $r0) (local.get $j)) (i32.sub (local.get $r) (i32.const 1)))))
)
