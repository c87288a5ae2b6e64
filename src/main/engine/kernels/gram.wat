;; The squaring step of Gram iteration (Delattre et al., ICML 2023, Algorithm 1): Z = A A^H of one complex frequency
;; matrix A, on float32 data. Bound by engine/bounds/methods/gram-simd.ts; the rounding analysis that turns its
;; output into a guaranteed upper bound is in engine/bounds/methods/gram-iteration.ts (gramEnclosure).
;;
;; Why: each of the t steps of Gram iteration is one P x P complex product per frequency (P = min channels); V8 runs
;; the float64 JS loop at ~1 GMAC/s, these 4-wide float32 lanes (fused where relaxed SIMD is on) over 20 GMAC/s on
;; one core, reading half the bytes.
;;
;; Z is computed in the Gauss (3-multiplication) form, 1.5 P^2 C real multiply-adds for its Hermitian half instead
;; of the direct form's 2 P^2 C: sumdiff, three xgram products and gcombine (each described below; the allowance
;; of the composition is derived in gram-simd.ts). gram64 is the direct form on float64 data (the Toeplitz bound's
;; Grams, gram-simd.ts float64ColumnGram).
;;
;; Layout (byte offsets into this module's memory): A's real part (P rows x C columns) at re, its imaginary part at
;; im; Z (P x P) written at outRe, outIm. P and C are multiples of 4 (callers pad with zero rows and columns, which
;; change neither the singular values nor any sum). The float32 matrices are in panels of 4 rows: the panel of rows
;; 4k .. 4k + 3 is 16 C contiguous bytes, four columns of its four rows per 64 bytes, so the entry (r, c) is at
;; $panelAt(r, c, C) = 16 C (r >> 2) + 64 (c >> 2) + 16 (r & 3) + 4 (c & 3). Why: the products' inner loops then
;; load every operand at a fixed offset from one pointer that steps 64 bytes, instead of computing an address per
;; load (~1/5 less time for xgram, issue 14: its loop issued more instructions than its multiply-adds needed).
;; gram64's float64 matrices are row-major.
;;
;; Variant (kernels/index.ts): relaxed_madd / relaxed_nmadd are lowered to mul + add / sub where relaxed SIMD is
;; off.
(module
  ;; The memory is imported so that a helper thread can share it (the shared variant, kernels/index.ts): each thread
  ;; computes its own range of rows [a0, a1) of the same product (gram-simd.ts).
  (import "env" "memory" (memory 0))

  (func $lanes64 (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; Byte offset of the entry (r, c) of a float32 matrix of C columns in panels of 4 rows (see Layout).
  (func $panelAt (param $r i32) (param $c i32) (param $C i32) (result i32)
    (i32.add
      (i32.add (i32.mul (i32.shr_u (local.get $r) (i32.const 2)) (i32.mul (local.get $C) (i32.const 16)))
        (i32.shl (i32.shr_u (local.get $c) (i32.const 2)) (i32.const 6)))
      (i32.add (i32.shl (i32.and (local.get $r) (i32.const 3)) (i32.const 4))
        (i32.shl (i32.and (local.get $c) (i32.const 3)) (i32.const 2)))))

  (func $put64 (param $outRe i32) (param $outIm i32) (param $P i32) (param $a i32) (param $b i32)
    (param $re f64) (param $im f64)
    (local $at i32)
    (local.set $at (i32.mul (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 8)))
    (f64.store (i32.add (local.get $outRe) (local.get $at)) (local.get $re))
    (f64.store (i32.add (local.get $outIm) (local.get $at)) (local.get $im)))

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

  ;; sumsq64(p, n): the sum of squares of n float64 values at p (n even), in float64, two lanes: each square and
  ;; sum rounded once, n / 2 + 1 roundings per term (the Frobenius norms of the frequency matrices, gram-simd.ts).
  (func $sumsq64 (export "sumsq64") (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $v v128) (local $acc v128)
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $n) (i32.const 8))))
    (local.set $acc (f64x2.splat (f64.const 0)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
    (call $lanes64 (local.get $acc)))

  ;; load64(src, scale, R, C, C4, dst): the R x C float64 matrix at src (row-major) times scale, rounded to float32
  ;; (f32.demote_f64: to nearest, as a JavaScript Float32Array store rounds) into the panels of the R x C4 float32
  ;; matrix at dst (its padding is left as it is). Four columns at a time (16 contiguous bytes of a panel; f32x4.
  ;; demote_f64x2_zero rounds each lane as f32.demote_f64 does), the last C mod 4 one by one: reading src in order,
  ;; ~1.5x less time than one by one on the 64 KB matrices of a 64-channel layer (measured).
  (func $load64 (export "load64")
    (param $src i32) (param $scale f64) (param $R i32) (param $C i32) (param $C4 i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $row i32) (local $vs v128)
    (local.set $vs (f64x2.splat (local.get $scale)))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $R)))
      (local.set $row (i32.add (local.get $dst) (call $panelAt (local.get $r) (i32.const 0) (local.get $C4))))
      (local.set $c (i32.const 0))
      (block $quads_done (loop $quads
        (br_if $quads_done (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $C)))
        (v128.store (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 4)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load (local.get $src)) (local.get $vs)))
            (f32x4.demote_f64x2_zero (f64x2.mul (v128.load offset=16 (local.get $src)) (local.get $vs)))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $quads)))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $c) (local.get $C)))
        (f32.store
          (i32.add (local.get $row)
            (i32.add (i32.shl (i32.shr_u (local.get $c) (i32.const 2)) (i32.const 6))
              (i32.shl (i32.and (local.get $c) (i32.const 3)) (i32.const 2))))
          (f32.demote_f64 (f64.mul (f64.load (local.get $src)) (local.get $scale))))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cols)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))

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

  ;; xgram(u, v, P, C, chunkBytes, out, a0, a1): rows [a0, a1) (multiples of 4) of the real product T = U V^T of two
  ;; float32 P x C matrices in panels (C a multiple of 4), blocks of 4 x 2 entries (a + i, b + j) with b <= a + 3, so
  ;; every entry on or below the diagonal (and a few above it) is written, row-major, at out + 4 (row P + column). The
  ;; three real products of the Gauss form of A A^H (gram-simd.ts). The columns are summed in q = 16 C / chunkBytes
  ;; chunks (chunkBytes a multiple of 64 dividing 16 C), each per lane by L = C / (4 q) multiply-adds started at 0
  ;; and its lanes summed as (l0 + l1) + (l2 + l3), the chunks' sums added in turn (the first to 0, exactly). Every
  ;; product goes through at most L + 2 + (q - 1) roundings: |fl(T_ab) - T_ab| <= gamma_{C/(4q)+q+1} sum_c |u_ac| |v_bc|
  ;; (q = 2 halves the allowance at 128+ columns for ~2 % more time).
  (func $xgram (export "xgram")
    (param $u i32) (param $v i32) (param $P i32) (param $C i32) (param $chunkBytes i32) (param $out i32)
    (param $a0 i32) (param $a1 i32)
    (local $a i32) (local $b i32) (local $panelBytes i32)
    ;; the panel of rows a .. a + 3, its end, the moving pointers into it and into rows b, b + 1 (16 bytes apart),
    ;; the end of the current chunk
    (local $p0 i32) (local $end i32) (local $p i32) (local $q i32) (local $stop i32)
    ;; the block's sums over the chunks so far: (T_ab, T_a,b+1, T_a+1,b, T_a+1,b+1) and the same of rows a + 2, a + 3
    (local $z01 v128) (local $z23 v128)
    ;; the lane reduction's round and transposed lanes
    (local $round i32) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $y v128)
    (local $s00 v128) (local $s10 v128) (local $s20 v128) (local $s30 v128)
    (local $s01 v128) (local $s11 v128) (local $s21 v128) (local $s31 v128)
    (local $at i32) (local $rowBytes i32)
    (local.set $panelBytes (i32.mul (local.get $C) (i32.const 16)))
    (local.set $rowBytes (i32.mul (local.get $P) (i32.const 4)))
    (local.set $a (local.get $a0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $a1)))
      ;; $panelAt(a, 0, C) with a a multiple of 4 (the rows go four by four from a0, a multiple of 4), and below of b
      ;; (even), inline: V8 inlines no WebAssembly calls, and a call per block cost ~1/10 of xgram's time at P = 64
      (local.set $p0 (i32.add (local.get $u) (i32.mul (local.get $a) (i32.mul (local.get $C) (i32.const 4)))))
      (local.set $end (i32.add (local.get $p0) (local.get $panelBytes)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.gt_u (local.get $b) (i32.add (local.get $a) (i32.const 3))))
        (local.set $p (local.get $p0))
        (local.set $q (i32.add (local.get $v)
          (i32.add (i32.mul (i32.shr_u (local.get $b) (i32.const 2)) (local.get $panelBytes))
            (i32.shl (i32.and (local.get $b) (i32.const 3)) (i32.const 4)))))
        (local.set $z01 (f32x4.splat (f32.const 0)))
        (local.set $z23 (f32x4.splat (f32.const 0)))
        (loop $chunk
          (local.set $stop (i32.add (local.get $p) (local.get $chunkBytes)))
          (local.set $s00 (f32x4.splat (f32.const 0))) (local.set $s10 (f32x4.splat (f32.const 0)))
          (local.set $s20 (f32x4.splat (f32.const 0))) (local.set $s30 (f32x4.splat (f32.const 0)))
          (local.set $s01 (f32x4.splat (f32.const 0))) (local.set $s11 (f32x4.splat (f32.const 0)))
          (local.set $s21 (f32x4.splat (f32.const 0))) (local.set $s31 (f32x4.splat (f32.const 0)))
          ;; chunkBytes >= 64: at least one group of four columns
          (loop $dot
            (local.set $x0 (v128.load (local.get $p)))
            (local.set $x1 (v128.load offset=16 (local.get $p)))
            (local.set $x2 (v128.load offset=32 (local.get $p)))
            (local.set $x3 (v128.load offset=48 (local.get $p)))
            (local.set $y (v128.load (local.get $q)))
            (local.set $s00 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $s00)))
            (local.set $s10 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $s10)))
            (local.set $s20 (f32x4.relaxed_madd (local.get $x2) (local.get $y) (local.get $s20)))
            (local.set $s30 (f32x4.relaxed_madd (local.get $x3) (local.get $y) (local.get $s30)))
            (local.set $y (v128.load offset=16 (local.get $q)))
            (local.set $s01 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $s01)))
            (local.set $s11 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $s11)))
            (local.set $s21 (f32x4.relaxed_madd (local.get $x2) (local.get $y) (local.get $s21)))
            (local.set $s31 (f32x4.relaxed_madd (local.get $x3) (local.get $y) (local.get $s31)))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br_if $dot (i32.lt_u (local.get $p) (local.get $stop))))
          ;; The chunk's sums added to the block's, each sum's lanes as (l0 + l1) + (l2 + l3), four at once: the 4 x 4
          ;; transpose of (s00, s01, s10, s11) added row by row is (sum s00, sum s01, sum s10, sum s11). Inline (V8
          ;; inlines no WebAssembly calls here: a call per four sums took ~1/4 of xgram's time at 128 columns), and
          ;; twice by one loop: the second round sees rows a + 2, a + 3 moved into s0j, s1j and z23 swapped with z01.
          (local.set $round (i32.const 0))
          (loop $reduce
            ;; (s00 s01 pairs of lanes 0, 1), (the same of lanes 2, 3) and the same of s10, s11
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $s00) (local.get $s01)))
            (local.set $t1
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $s00) (local.get $s01)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $s10) (local.get $s11)))
            (local.set $t3
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $s10) (local.get $s11)))
            ;; (lane 0 of each) + (lane 1 of each), plus (lane 2) + (lane 3), added to the block's sums
            (local.set $t0
              (f32x4.add
                (f32x4.add
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                (f32x4.add
                  (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))))
            (local.set $t0 (f32x4.add (local.get $z01) (local.get $t0)))
            (local.set $z01 (local.get $z23))
            (local.set $z23 (local.get $t0))
            (local.set $s00 (local.get $s20)) (local.set $s01 (local.get $s21))
            (local.set $s10 (local.get $s30)) (local.set $s11 (local.get $s31))
            (local.set $round (i32.add (local.get $round) (i32.const 1)))
            (br_if $reduce (i32.lt_u (local.get $round) (i32.const 2))))
        (br_if $chunk (i32.lt_u (local.get $p) (local.get $end))))
        ;; rows a .. a + 3 at columns b, b + 1: two floats each, rows rowBytes apart (z01: rows a, a + 1; z23: a + 2,
        ;; a + 3; inline, as above)
        (local.set $at (i32.add (local.get $out)
          (i32.mul (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 4))))
        (v128.store64_lane 0 (local.get $at) (local.get $z01))
        (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
        (v128.store64_lane 1 (local.get $at) (local.get $z01))
        (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
        (v128.store64_lane 0 (local.get $at) (local.get $z23))
        (local.set $at (i32.add (local.get $at) (local.get $rowBytes)))
        (v128.store64_lane 1 (local.get $at) (local.get $z23))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br $rows))))

  ;; sumdiff(a, b, s, d, n, scale): a and b multiplied by scale, a power of two, in place (as $scale does: exact but for
  ;; underflow; 1 leaves them as they are), then s = a + b and d = a - b for n float32 values (n a multiple of 4), each
  ;; rounded once (a sum that lands below the normal range is exact): the operands of the Gauss form's third product.
  ;; Why the scale here: the previous square's rescale rides on this pass over the matrix instead of one of its own.
  (func $sumdiff (export "sumdiff")
    (param $a i32) (param $b i32) (param $s i32) (param $d i32) (param $n i32) (param $scale f32)
    (local $i i32) (local $end i32) (local $x v128) (local $y v128) (local $vs v128) (local $rescale i32)
    (local.set $end (i32.mul (local.get $n) (i32.const 4)))
    (local.set $vs (f32x4.splat (local.get $scale)))
    ;; with nothing to rescale (each frequency's first square, and others: 45 % of the squares at 64 channels, 25 % at
    ;; 128) a and b are only read
    (local.set $rescale (f32.ne (local.get $scale) (f32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $a) (local.get $i))))
      (local.set $y (v128.load (i32.add (local.get $b) (local.get $i))))
      (if (local.get $rescale) (then
        (local.set $x (f32x4.mul (local.get $x) (local.get $vs)))
        (local.set $y (f32x4.mul (local.get $y) (local.get $vs)))
        (v128.store (i32.add (local.get $a) (local.get $i)) (local.get $x))
        (v128.store (i32.add (local.get $b) (local.get $i)) (local.get $y))))
      (v128.store (i32.add (local.get $s) (local.get $i)) (f32x4.add (local.get $x) (local.get $y)))
      (v128.store (i32.add (local.get $d) (local.get $i)) (f32x4.sub (local.get $x) (local.get $y)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; gcombine(t1, t2, t3, P, outRe, outIm): Z = A A^H from the Gauss form's three real products (xgram, row-major:
  ;; every 4 x 4 block on or below the diagonal written), Z in panels: Re Z_ab = t1 + t2, Im Z_ab = (t3 - t1) + t2
  ;; for b < a (0 on the diagonal), mirrored as Z_ba = conj(Z_ab). A 4 x 4 block of Z is 64 contiguous bytes, its
  ;; rows 16 apart: each block on and below the diagonal four columns at a time, its mirror as the 4 x 4 transpose
  ;; (instead of 16 column-strided scalar stores, which took ~a third of xgram's time at P = 128), the diagonal blocks
  ;; then keeping their own entries on and below the diagonal (t3 is not symmetric, the diagonal is real). The same
  ;; roundings per entry either way; all inline (V8 inlines no WebAssembly calls: a call per transpose cost ~1/4 of
  ;; gcombine's time, measured).
  (func $gcombine (export "gcombine")
    (param $t1 i32) (param $t2 i32) (param $t3 i32) (param $P i32) (param $outRe i32) (param $outIm i32)
    (local $a i32) (local $b i32) (local $lo i32) (local $at i32) (local $rowBytes i32) (local $round i32)
    (local $x1 v128) (local $x2 v128) (local $lanes v128) (local $row v128)
    (local $re0 v128) (local $re1 v128) (local $re2 v128) (local $re3 v128)
    (local $im0 v128) (local $im1 v128) (local $im2 v128) (local $im3 v128)
    ;; the rows being transposed (re, then -im) and their pairs of lanes
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local.set $rowBytes (i32.mul (local.get $P) (i32.const 4)))
    (local.set $lanes (v128.const i32x4 0 1 2 3))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $P)))
      (local.set $b (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.gt_u (local.get $b) (local.get $a)))
        ;; rows a .. a + 3 of the block (a, b): t at lo (row-major), Z at at (panel), a row per round, the rows
        ;; kept in re0 .. re3 (im0 .. im3) by shifting them up each round
        (local.set $lo (i32.mul (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $b)) (i32.const 4)))
        ;; $panelAt(a, b, P) = 4 P a + 16 b for a, b multiples of 4, inline (as in xgram)
        (local.set $at (i32.add (i32.mul (local.get $a) (local.get $rowBytes)) (i32.shl (local.get $b) (i32.const 4))))
        (local.set $round (i32.const 0))
        (loop $row
          (local.set $x1 (v128.load (i32.add (local.get $t1) (local.get $lo))))
          (local.set $x2 (v128.load (i32.add (local.get $t2) (local.get $lo))))
          (local.set $re0 (local.get $re1)) (local.set $re1 (local.get $re2)) (local.set $re2 (local.get $re3))
          (local.set $im0 (local.get $im1)) (local.set $im1 (local.get $im2)) (local.set $im2 (local.get $im3))
          (local.set $re3 (f32x4.add (local.get $x1) (local.get $x2)))
          (local.set $im3 (f32x4.add
            (f32x4.sub (v128.load (i32.add (local.get $t3) (local.get $lo))) (local.get $x1)) (local.get $x2)))
          (v128.store (i32.add (local.get $outRe) (local.get $at)) (local.get $re3))
          (v128.store (i32.add (local.get $outIm) (local.get $at)) (local.get $im3))
          (local.set $lo (i32.add (local.get $lo) (local.get $rowBytes)))
          (local.set $at (i32.add (local.get $at) (i32.const 16)))
          (local.set $round (i32.add (local.get $round) (i32.const 1)))
          (br_if $row (i32.lt_u (local.get $round) (i32.const 4))))
        ;; the mirror block (b, a): Z_ba = conj(Z_ab), the transpose with the imaginary part negated (exact); the
        ;; real part in the first round, the imaginary part in the second
        (local.set $at (i32.add (i32.mul (local.get $b) (local.get $rowBytes)) (i32.shl (local.get $a) (i32.const 4))))
        (local.set $lo (i32.add (local.get $outRe) (local.get $at)))
        (local.set $v0 (local.get $re0)) (local.set $v1 (local.get $re1))
        (local.set $v2 (local.get $re2)) (local.set $v3 (local.get $re3))
        (local.set $round (i32.const 0))
        (loop $mirror
          ;; lanes (v0[0] v1[0] v0[1] v1[1]), (v0[2] v1[2] v0[3] v1[3]) and the same of v2, v3
          (local.set $p0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
          (local.set $p1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
          (local.set $p2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
          (local.set $p3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
          (v128.store (local.get $lo)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p0) (local.get $p2)))
          (v128.store offset=16 (local.get $lo)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p0) (local.get $p2)))
          (v128.store offset=32 (local.get $lo)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p1) (local.get $p3)))
          (v128.store offset=48 (local.get $lo)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p1) (local.get $p3)))
          (local.set $lo (i32.add (local.get $outIm) (local.get $at)))
          (local.set $v0 (f32x4.neg (local.get $im0))) (local.set $v1 (f32x4.neg (local.get $im1)))
          (local.set $v2 (f32x4.neg (local.get $im2))) (local.set $v3 (f32x4.neg (local.get $im3)))
          (local.set $round (i32.add (local.get $round) (i32.const 1)))
          (br_if $mirror (i32.lt_u (local.get $round) (i32.const 2))))
        ;; a diagonal block now holds its mirror: row i keeps its own real parts at j <= i, imaginary parts at j < i,
        ;; +0 at j = i
        (if (i32.eq (local.get $b) (local.get $a)) (then
          (local.set $round (i32.const 0))
          (loop $diagonal
            (local.set $row (i32x4.splat (local.get $round)))
            (v128.store (i32.add (local.get $outRe) (local.get $at))
              (v128.bitselect (local.get $re0) (v128.load (i32.add (local.get $outRe) (local.get $at)))
                (i32x4.le_s (local.get $lanes) (local.get $row))))
            (v128.store (i32.add (local.get $outIm) (local.get $at))
              (v128.and
                (v128.bitselect (local.get $im0) (v128.load (i32.add (local.get $outIm) (local.get $at)))
                  (i32x4.lt_s (local.get $lanes) (local.get $row)))
                (i32x4.ne (local.get $lanes) (local.get $row))))
            (local.set $re0 (local.get $re1)) (local.set $re1 (local.get $re2)) (local.set $re2 (local.get $re3))
            (local.set $im0 (local.get $im1)) (local.set $im1 (local.get $im2)) (local.set $im2 (local.get $im3))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (local.set $round (i32.add (local.get $round) (i32.const 1)))
            (br_if $diagonal (i32.lt_u (local.get $round) (i32.const 4))))))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br $rows))))
)
