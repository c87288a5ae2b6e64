;; The squaring step of Gram iteration (Delattre et al., ICML 2023, Algorithm 1): Z = A A^H of one complex frequency
;; matrix A, on float32 data. Bound by engine/bounds/methods/gram-simd.ts; the rounding analysis that turns its
;; output into a guaranteed upper bound is in engine/bounds/methods/gram-iteration.ts (gramEnclosure).
;;
;; Why: each of the t steps of Gram iteration is one P x P complex product per frequency (P = min channels), 2 P^3
;; real multiply-adds with the Hermitian half; V8 runs the float64 JS loop at ~1 GMAC/s, these 4-wide float32 lanes
;; (fused where relaxed SIMD is on) several times faster, reading half the bytes.
;;
;; Layout (byte offsets into this module's memory): A's real part (P rows x C columns, row-major) at re, its
;; imaginary part at im; Z (P x P, row-major) written at outRe, outIm. P must be even, C a multiple of 4 (callers pad
;; with zero rows and columns, which change neither the singular values nor any sum).
;;
;; Rounding (what gramEnclosure assumes): every entry of Z is, per lane, a chain of C/2 multiply-adds started at 0
;; (two terms per column: xr yr + xi yi for the real part, xi yr - xr yi for the imaginary part), then the four lanes
;; summed as (l0 + l1) + (l2 + l3). So |fl(Z_ab) - Z_ab| <= gamma_{C/2+2} sum_c |A_ac| |A_bc| per part (Higham,
;; "Accuracy and Stability of Numerical Algorithms", Sec. 3.1), fused or not.
;;
;; The same Z in the Gauss (3-multiplication) form, 1.5 instead of 2 P^2 C multiply-adds: sumdiff, three xgram
;; products and gcombine (each described below; the allowance of the composition is derived in gram-simd.ts).
;;
;; Variant (kernels/index.ts): relaxed_madd / relaxed_nmadd are lowered to mul + add / sub where relaxed SIMD is
;; off.
(module
  ;; The memory is imported so that a helper thread can share it (the shared variant, kernels/index.ts): each thread
  ;; computes its own range of rows [a0, a1) of the same product (gram-simd.ts).
  (import "env" "memory" (memory 0))

  ;; The sum of the four lanes of v, in the order the rounding analysis assumes.
  (func $lanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func $lanes64 (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  (func $put64 (param $outRe i32) (param $outIm i32) (param $P i32) (param $a i32) (param $b i32)
    (param $re f64) (param $im f64)
    (local $at i32)
    (local.set $at (i32.mul (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 8)))
    (f64.store (i32.add (local.get $outRe) (local.get $at)) (local.get $re))
    (f64.store (i32.add (local.get $outIm) (local.get $at)) (local.get $im)))

  ;; Z[a][b] = (re, im) at row a, column b of Z.
  (func $put (param $outRe i32) (param $outIm i32) (param $P i32) (param $a i32) (param $b i32)
    (param $re f32) (param $im f32)
    (local $at i32)
    (local.set $at (i32.mul (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 4)))
    (f32.store (i32.add (local.get $outRe) (local.get $at)) (local.get $re))
    (f32.store (i32.add (local.get $outIm) (local.get $at)) (local.get $im)))

  ;; sumsq(p, n): the sum of squares of n float32 values at p (n a multiple of 4) in float64. Each square of a float32
  ;; is
  ;; exact in float64 (48 significant bits); only the sums round, in four lanes: the error of a float64 sum of n terms.
  (func $sumsq (export "sumsq") (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $lo v128) (local $hi v128) (local $acc0 v128) (local $acc1 v128)
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $n) (i32.const 4))))
    (local.set $acc0 (f64x2.splat (f64.const 0)))
    (local.set $acc1 (f64x2.splat (f64.const 0)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $hi
        (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
      (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $lo) (local.get $lo))))
      (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $hi) (local.get $hi))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))

  ;; scale(p, n, s): multiply n float32 values at p (n a multiple of 4) by s, a power of two (exact but for underflow).
  (func $scale (export "scale") (param $p i32) (param $n i32) (param $s f32)
    (local $end i32) (local $vs v128)
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $n) (i32.const 4))))
    (local.set $vs (f32x4.splat (local.get $s)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $vs)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next))))

  ;; gram(re, im, P, C, outRe, outIm, a0, a1): rows [a0, a1) (even bounds) of Z = A A^H, computed in 2 x 2 blocks
  ;; of rows (a, a + 1) x (b, b + 1) with
  ;; b <= a; an off-diagonal block also writes its conjugate-transposed mirror (Z is Hermitian).
  (func $gram (export "gram")
    (param $re i32) (param $im i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32)
    (param $a0 i32) (param $a1 i32)
    (local $a i32) (local $b i32) (local $cc i32) (local $rowBytes i32)
    ;; real (p) and imaginary (q) parts of rows a, a + 1 and b, b + 1
    (local $pa0 i32) (local $pa1 i32) (local $pb0 i32) (local $pb1 i32)
    (local $qa0 i32) (local $qa1 i32) (local $qb0 i32) (local $qb1 i32) (local $imOff i32)
    ;; rows a, a + 1 (re, im) at four columns, and one part of row b or b + 1
    (local $xr0 v128) (local $xi0 v128) (local $xr1 v128) (local $xi1 v128) (local $y v128)
    ;; real and imaginary sums of the four pairs (a + i, b + j) as sij
    (local $r00 v128) (local $i00 v128) (local $r01 v128) (local $i01 v128)
    (local $r10 v128) (local $i10 v128) (local $r11 v128) (local $i11 v128)
    (local $z00r f32) (local $z00i f32) (local $z01r f32) (local $z01i f32)
    (local $z10r f32) (local $z10i f32) (local $z11r f32) (local $z11i f32)
    (local.set $rowBytes (i32.mul (local.get $C) (i32.const 4)))
    (local.set $imOff (i32.sub (local.get $im) (local.get $re)))
    (local.set $a (local.get $a0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $a1)))
      (local.set $pa0 (i32.add (local.get $re) (i32.mul (local.get $a) (local.get $rowBytes))))
      (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowBytes)))
      (local.set $qa0 (i32.add (local.get $pa0) (local.get $imOff)))
      (local.set $qa1 (i32.add (local.get $pa1) (local.get $imOff)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.gt_u (local.get $b) (local.get $a)))
        (local.set $pb0 (i32.add (local.get $re) (i32.mul (local.get $b) (local.get $rowBytes))))
        (local.set $pb1 (i32.add (local.get $pb0) (local.get $rowBytes)))
        (local.set $qb0 (i32.add (local.get $pb0) (local.get $imOff)))
        (local.set $qb1 (i32.add (local.get $pb1) (local.get $imOff)))
        (local.set $r00 (f32x4.splat (f32.const 0))) (local.set $i00 (f32x4.splat (f32.const 0)))
        (local.set $r01 (f32x4.splat (f32.const 0))) (local.set $i01 (f32x4.splat (f32.const 0)))
        (local.set $r10 (f32x4.splat (f32.const 0))) (local.set $i10 (f32x4.splat (f32.const 0)))
        (local.set $r11 (f32x4.splat (f32.const 0))) (local.set $i11 (f32x4.splat (f32.const 0)))
        (local.set $cc (i32.const 0))
        (block $dot_done (loop $dot
          (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
          ;; x conj(y) = (xr yr + xi yi) + i (xi yr - xr yi); one column of y live at a time, so the 8 sums, the 4
          ;; x columns and y fit the 16 SIMD registers V8 allocates from
          (local.set $xr0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
          (local.set $xi0 (v128.load (i32.add (local.get $qa0) (local.get $cc))))
          (local.set $xr1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
          (local.set $xi1 (v128.load (i32.add (local.get $qa1) (local.get $cc))))
          (local.set $y (v128.load (i32.add (local.get $pb0) (local.get $cc))))
          (local.set $r00 (f32x4.relaxed_madd (local.get $xr0) (local.get $y) (local.get $r00)))
          (local.set $i00 (f32x4.relaxed_madd (local.get $xi0) (local.get $y) (local.get $i00)))
          (local.set $r10 (f32x4.relaxed_madd (local.get $xr1) (local.get $y) (local.get $r10)))
          (local.set $i10 (f32x4.relaxed_madd (local.get $xi1) (local.get $y) (local.get $i10)))
          (local.set $y (v128.load (i32.add (local.get $qb0) (local.get $cc))))
          (local.set $r00 (f32x4.relaxed_madd (local.get $xi0) (local.get $y) (local.get $r00)))
          (local.set $i00 (f32x4.relaxed_nmadd (local.get $xr0) (local.get $y) (local.get $i00)))
          (local.set $r10 (f32x4.relaxed_madd (local.get $xi1) (local.get $y) (local.get $r10)))
          (local.set $i10 (f32x4.relaxed_nmadd (local.get $xr1) (local.get $y) (local.get $i10)))
          (local.set $y (v128.load (i32.add (local.get $pb1) (local.get $cc))))
          (local.set $r01 (f32x4.relaxed_madd (local.get $xr0) (local.get $y) (local.get $r01)))
          (local.set $i01 (f32x4.relaxed_madd (local.get $xi0) (local.get $y) (local.get $i01)))
          (local.set $r11 (f32x4.relaxed_madd (local.get $xr1) (local.get $y) (local.get $r11)))
          (local.set $i11 (f32x4.relaxed_madd (local.get $xi1) (local.get $y) (local.get $i11)))
          (local.set $y (v128.load (i32.add (local.get $qb1) (local.get $cc))))
          (local.set $r01 (f32x4.relaxed_madd (local.get $xi0) (local.get $y) (local.get $r01)))
          (local.set $i01 (f32x4.relaxed_nmadd (local.get $xr0) (local.get $y) (local.get $i01)))
          (local.set $r11 (f32x4.relaxed_madd (local.get $xi1) (local.get $y) (local.get $r11)))
          (local.set $i11 (f32x4.relaxed_nmadd (local.get $xr1) (local.get $y) (local.get $i11)))
          (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
          (br $dot)))
        (local.set $z00r (call $lanes (local.get $r00))) (local.set $z00i (call $lanes (local.get $i00)))
        (local.set $z01r (call $lanes (local.get $r01))) (local.set $z01i (call $lanes (local.get $i01)))
        (local.set $z10r (call $lanes (local.get $r10))) (local.set $z10i (call $lanes (local.get $i10)))
        (local.set $z11r (call $lanes (local.get $r11))) (local.set $z11i (call $lanes (local.get $i11)))
        (call $put (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $a) (local.get $b)
          (local.get $z00r) (local.get $z00i))
        (call $put (local.get $outRe) (local.get $outIm) (local.get $P)
          (local.get $a) (i32.add (local.get $b) (i32.const 1))
          (local.get $z01r) (local.get $z01i))
        (call $put (local.get $outRe) (local.get $outIm) (local.get $P)
          (i32.add (local.get $a) (i32.const 1)) (local.get $b)
          (local.get $z10r) (local.get $z10i))
        (call $put (local.get $outRe) (local.get $outIm) (local.get $P)
          (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $b) (i32.const 1))
          (local.get $z11r) (local.get $z11i))
        ;; the mirror Z[b + j][a + i] = conj(Z[a + i][b + j]) of an off-diagonal block
        (if (i32.lt_u (local.get $b) (local.get $a))
          (then
            (call $put (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $b) (local.get $a)
              (local.get $z00r) (f32.neg (local.get $z00i)))
            (call $put (local.get $outRe) (local.get $outIm) (local.get $P)
              (i32.add (local.get $b) (i32.const 1)) (local.get $a)
              (local.get $z01r) (f32.neg (local.get $z01i)))
            (call $put (local.get $outRe) (local.get $outIm) (local.get $P)
              (local.get $b) (i32.add (local.get $a) (i32.const 1))
              (local.get $z10r) (f32.neg (local.get $z10i)))
            (call $put (local.get $outRe) (local.get $outIm) (local.get $P)
              (i32.add (local.get $b) (i32.const 1)) (i32.add (local.get $a) (i32.const 1))
              (local.get $z11r) (f32.neg (local.get $z11i)))))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 2)))
      (br $rows))))

  ;; gram64(re, im, P, C, outRe, outIm, a0, a1): the same product on float64 data (P even, C a multiple of 2; per lane C
  ;; multiply-adds, then one lane sum: error gamma_{C+1}), for the float64 path of the Toeplitz bound.
  (func $gram64 (export "gram64")
    (param $re i32) (param $im i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32)
    (param $a0 i32) (param $a1 i32)
    (local $a i32) (local $b i32) (local $cc i32) (local $rowBytes i32)
    ;; real (p) and imaginary (q) parts of rows a, a + 1 and b, b + 1
    (local $pa0 i32) (local $pa1 i32) (local $pb0 i32) (local $pb1 i32)
    (local $qa0 i32) (local $qa1 i32) (local $qb0 i32) (local $qb1 i32) (local $imOff i32)
    ;; rows a, a + 1 (re, im) at four columns, and one part of row b or b + 1
    (local $xr0 v128) (local $xi0 v128) (local $xr1 v128) (local $xi1 v128) (local $y v128)
    ;; real and imaginary sums of the four pairs (a + i, b + j) as sij
    (local $r00 v128) (local $i00 v128) (local $r01 v128) (local $i01 v128)
    (local $r10 v128) (local $i10 v128) (local $r11 v128) (local $i11 v128)
    (local $z00r f64) (local $z00i f64) (local $z01r f64) (local $z01i f64)
    (local $z10r f64) (local $z10i f64) (local $z11r f64) (local $z11i f64)
    (local.set $rowBytes (i32.mul (local.get $C) (i32.const 8)))
    (local.set $imOff (i32.sub (local.get $im) (local.get $re)))
    (local.set $a (local.get $a0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $a1)))
      (local.set $pa0 (i32.add (local.get $re) (i32.mul (local.get $a) (local.get $rowBytes))))
      (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowBytes)))
      (local.set $qa0 (i32.add (local.get $pa0) (local.get $imOff)))
      (local.set $qa1 (i32.add (local.get $pa1) (local.get $imOff)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.gt_u (local.get $b) (local.get $a)))
        (local.set $pb0 (i32.add (local.get $re) (i32.mul (local.get $b) (local.get $rowBytes))))
        (local.set $pb1 (i32.add (local.get $pb0) (local.get $rowBytes)))
        (local.set $qb0 (i32.add (local.get $pb0) (local.get $imOff)))
        (local.set $qb1 (i32.add (local.get $pb1) (local.get $imOff)))
        (local.set $r00 (f64x2.splat (f64.const 0))) (local.set $i00 (f64x2.splat (f64.const 0)))
        (local.set $r01 (f64x2.splat (f64.const 0))) (local.set $i01 (f64x2.splat (f64.const 0)))
        (local.set $r10 (f64x2.splat (f64.const 0))) (local.set $i10 (f64x2.splat (f64.const 0)))
        (local.set $r11 (f64x2.splat (f64.const 0))) (local.set $i11 (f64x2.splat (f64.const 0)))
        (local.set $cc (i32.const 0))
        (block $dot_done (loop $dot
          (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
          ;; x conj(y) = (xr yr + xi yi) + i (xi yr - xr yi); one column of y live at a time, so the 8 sums, the 4
          ;; x columns and y fit the 16 SIMD registers V8 allocates from
          (local.set $xr0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
          (local.set $xi0 (v128.load (i32.add (local.get $qa0) (local.get $cc))))
          (local.set $xr1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
          (local.set $xi1 (v128.load (i32.add (local.get $qa1) (local.get $cc))))
          (local.set $y (v128.load (i32.add (local.get $pb0) (local.get $cc))))
          (local.set $r00 (f64x2.relaxed_madd (local.get $xr0) (local.get $y) (local.get $r00)))
          (local.set $i00 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $i00)))
          (local.set $r10 (f64x2.relaxed_madd (local.get $xr1) (local.get $y) (local.get $r10)))
          (local.set $i10 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $i10)))
          (local.set $y (v128.load (i32.add (local.get $qb0) (local.get $cc))))
          (local.set $r00 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $r00)))
          (local.set $i00 (f64x2.relaxed_nmadd (local.get $xr0) (local.get $y) (local.get $i00)))
          (local.set $r10 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $r10)))
          (local.set $i10 (f64x2.relaxed_nmadd (local.get $xr1) (local.get $y) (local.get $i10)))
          (local.set $y (v128.load (i32.add (local.get $pb1) (local.get $cc))))
          (local.set $r01 (f64x2.relaxed_madd (local.get $xr0) (local.get $y) (local.get $r01)))
          (local.set $i01 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $i01)))
          (local.set $r11 (f64x2.relaxed_madd (local.get $xr1) (local.get $y) (local.get $r11)))
          (local.set $i11 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $i11)))
          (local.set $y (v128.load (i32.add (local.get $qb1) (local.get $cc))))
          (local.set $r01 (f64x2.relaxed_madd (local.get $xi0) (local.get $y) (local.get $r01)))
          (local.set $i01 (f64x2.relaxed_nmadd (local.get $xr0) (local.get $y) (local.get $i01)))
          (local.set $r11 (f64x2.relaxed_madd (local.get $xi1) (local.get $y) (local.get $r11)))
          (local.set $i11 (f64x2.relaxed_nmadd (local.get $xr1) (local.get $y) (local.get $i11)))
          (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
          (br $dot)))
        (local.set $z00r (call $lanes64 (local.get $r00))) (local.set $z00i (call $lanes64 (local.get $i00)))
        (local.set $z01r (call $lanes64 (local.get $r01))) (local.set $z01i (call $lanes64 (local.get $i01)))
        (local.set $z10r (call $lanes64 (local.get $r10))) (local.set $z10i (call $lanes64 (local.get $i10)))
        (local.set $z11r (call $lanes64 (local.get $r11))) (local.set $z11i (call $lanes64 (local.get $i11)))
        (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $a) (local.get $b)
          (local.get $z00r) (local.get $z00i))
        (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P)
          (local.get $a) (i32.add (local.get $b) (i32.const 1))
          (local.get $z01r) (local.get $z01i))
        (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P)
          (i32.add (local.get $a) (i32.const 1)) (local.get $b)
          (local.get $z10r) (local.get $z10i))
        (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P)
          (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $b) (i32.const 1))
          (local.get $z11r) (local.get $z11i))
        ;; the mirror Z[b + j][a + i] = conj(Z[a + i][b + j]) of an off-diagonal block
        (if (i32.lt_u (local.get $b) (local.get $a))
          (then
            (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $b) (local.get $a)
              (local.get $z00r) (f64.neg (local.get $z00i)))
            (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P)
              (i32.add (local.get $b) (i32.const 1)) (local.get $a)
              (local.get $z01r) (f64.neg (local.get $z01i)))
            (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P)
              (local.get $b) (i32.add (local.get $a) (i32.const 1))
              (local.get $z10r) (f64.neg (local.get $z10i)))
            (call $put64 (local.get $outRe) (local.get $outIm) (local.get $P)
              (i32.add (local.get $b) (i32.const 1)) (i32.add (local.get $a) (i32.const 1))
              (local.get $z11r) (f64.neg (local.get $z11i)))))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 2)))
      (br $rows))))

  ;; xgram(u, v, P, C, out, a0, a1): rows [a0, a1) (multiples of 4) of the real product T = U V^T of two float32 P x C
  ;; matrices (C a multiple of 4), blocks of 4 x 2 entries (a + i, b + j) with b <= a + 3, so every entry on or
  ;; below the diagonal (and a few above it) is written at out + 4 (row P + column). The three real products of the
  ;; Gauss form of A A^H (gram-simd.ts). Rounding: per lane C/4 multiply-adds started at 0, then the lanes summed
  ;; as (l0 + l1) + (l2 + l3): |fl(T_ab) - T_ab| <= gamma_{C/4+2} sum_c |u_ac| |v_bc|.
  (func $xgram (export "xgram")
    (param $u i32) (param $v i32) (param $P i32) (param $C i32) (param $out i32) (param $a0 i32) (param $a1 i32)
    (local $a i32) (local $b i32) (local $cc i32) (local $rowBytes i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $q0 i32) (local $q1 i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $y v128)
    (local $s00 v128) (local $s10 v128) (local $s20 v128) (local $s30 v128)
    (local $s01 v128) (local $s11 v128) (local $s21 v128) (local $s31 v128)
    (local $at i32)
    (local.set $rowBytes (i32.mul (local.get $C) (i32.const 4)))
    (local.set $a (local.get $a0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $a1)))
      (local.set $p0 (i32.add (local.get $u) (i32.mul (local.get $a) (local.get $rowBytes))))
      (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
      (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
      (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.gt_u (local.get $b) (i32.add (local.get $a) (i32.const 3))))
        (local.set $q0 (i32.add (local.get $v) (i32.mul (local.get $b) (local.get $rowBytes))))
        (local.set $q1 (i32.add (local.get $q0) (local.get $rowBytes)))
        (local.set $s00 (f32x4.splat (f32.const 0))) (local.set $s10 (f32x4.splat (f32.const 0)))
        (local.set $s20 (f32x4.splat (f32.const 0))) (local.set $s30 (f32x4.splat (f32.const 0)))
        (local.set $s01 (f32x4.splat (f32.const 0))) (local.set $s11 (f32x4.splat (f32.const 0)))
        (local.set $s21 (f32x4.splat (f32.const 0))) (local.set $s31 (f32x4.splat (f32.const 0)))
        (local.set $cc (i32.const 0))
        (block $dot_done (loop $dot
          (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
          (local.set $x0 (v128.load (i32.add (local.get $p0) (local.get $cc))))
          (local.set $x1 (v128.load (i32.add (local.get $p1) (local.get $cc))))
          (local.set $x2 (v128.load (i32.add (local.get $p2) (local.get $cc))))
          (local.set $x3 (v128.load (i32.add (local.get $p3) (local.get $cc))))
          (local.set $y (v128.load (i32.add (local.get $q0) (local.get $cc))))
          (local.set $s00 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $s00)))
          (local.set $s10 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $s10)))
          (local.set $s20 (f32x4.relaxed_madd (local.get $x2) (local.get $y) (local.get $s20)))
          (local.set $s30 (f32x4.relaxed_madd (local.get $x3) (local.get $y) (local.get $s30)))
          (local.set $y (v128.load (i32.add (local.get $q1) (local.get $cc))))
          (local.set $s01 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $s01)))
          (local.set $s11 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $s11)))
          (local.set $s21 (f32x4.relaxed_madd (local.get $x2) (local.get $y) (local.get $s21)))
          (local.set $s31 (f32x4.relaxed_madd (local.get $x3) (local.get $y) (local.get $s31)))
          (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
          (br $dot)))
        ;; row a + i, columns b and b + 1: out[(a + i) P + b] and the next float
        (local.set $at (i32.add (local.get $out)
          (i32.mul (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 4))))
        (f32.store (local.get $at) (call $lanes (local.get $s00)))
        (f32.store offset=4 (local.get $at) (call $lanes (local.get $s01)))
        (local.set $at (i32.add (local.get $at) (i32.mul (local.get $P) (i32.const 4))))
        (f32.store (local.get $at) (call $lanes (local.get $s10)))
        (f32.store offset=4 (local.get $at) (call $lanes (local.get $s11)))
        (local.set $at (i32.add (local.get $at) (i32.mul (local.get $P) (i32.const 4))))
        (f32.store (local.get $at) (call $lanes (local.get $s20)))
        (f32.store offset=4 (local.get $at) (call $lanes (local.get $s21)))
        (local.set $at (i32.add (local.get $at) (i32.mul (local.get $P) (i32.const 4))))
        (f32.store (local.get $at) (call $lanes (local.get $s30)))
        (f32.store offset=4 (local.get $at) (call $lanes (local.get $s31)))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br $rows))))

  ;; sumdiff(a, b, s, d, n): s = a + b and d = a - b for n float32 values (n a multiple of 4), each rounded once
  ;; (a sum that lands below the normal range is exact): the operands of the Gauss form's third product.
  (func $sumdiff (export "sumdiff") (param $a i32) (param $b i32) (param $s i32) (param $d i32) (param $n i32)
    (local $i i32) (local $end i32) (local $x v128) (local $y v128)
    (local.set $end (i32.mul (local.get $n) (i32.const 4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $a) (local.get $i))))
      (local.set $y (v128.load (i32.add (local.get $b) (local.get $i))))
      (v128.store (i32.add (local.get $s) (local.get $i)) (f32x4.add (local.get $x) (local.get $y)))
      (v128.store (i32.add (local.get $d) (local.get $i)) (f32x4.sub (local.get $x) (local.get $y)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; gcombine(t1, t2, t3, P, outRe, outIm): Z = A A^H from the Gauss form's three real products (xgram, lower
  ;; triangles): Re Z_ab = t1 + t2, Im Z_ab = (t3 - t1) + t2 for b < a (0 on the diagonal), mirrored as
  ;; Z_ba = conj(Z_ab).
  (func $gcombine (export "gcombine")
    (param $t1 i32) (param $t2 i32) (param $t3 i32) (param $P i32) (param $outRe i32) (param $outIm i32)
    (local $a i32) (local $b i32) (local $lo i32) (local $hi i32) (local $x1 f32) (local $x2 f32) (local $im f32)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $P)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.gt_u (local.get $b) (local.get $a)))
        (local.set $lo (i32.mul (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 4)))
        (local.set $hi (i32.mul (i32.add (i32.mul (local.get $b) (local.get $P)) (local.get $a)) (i32.const 4)))
        (local.set $x1 (f32.load (i32.add (local.get $t1) (local.get $lo))))
        (local.set $x2 (f32.load (i32.add (local.get $t2) (local.get $lo))))
        (local.set $im (f32.add (f32.sub (f32.load (i32.add (local.get $t3) (local.get $lo))) (local.get $x1))
          (local.get $x2)))
        (f32.store (i32.add (local.get $outRe) (local.get $lo)) (f32.add (local.get $x1) (local.get $x2)))
        (f32.store (i32.add (local.get $outRe) (local.get $hi)) (f32.add (local.get $x1) (local.get $x2)))
        (f32.store (i32.add (local.get $outIm) (local.get $lo)) (local.get $im))
        (f32.store (i32.add (local.get $outIm) (local.get $hi)) (f32.neg (local.get $im)))
        ;; Z is Hermitian: its diagonal is real, and 0 is exact there
        (if (i32.eq (local.get $a) (local.get $b))
          (then (f32.store (i32.add (local.get $outIm) (local.get $lo)) (f32.const 0))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $rows))))
)
