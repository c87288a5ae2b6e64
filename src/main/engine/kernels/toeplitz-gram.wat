;; The per-frequency Grams Z = A A^H of the Toeplitz bound's self-correlations (Delattre, Barthélemy & Allauzen 2024;
;; engine/bounds/methods/toeplitz-step.ts), on the same memory as toeplitz.wat's DFT stages (toeplitz-heap.ts
;; instantiates both). They are most of the bound's arithmetic: P x C complex matrices, P up to 512 channels, one per
;; frequency of the half spectrum. The rounding analysis that keeps the bound guaranteed is in toeplitz-enclosure.ts.
;;
;; Variant (kernels/index.ts): relaxed_madd is lowered to mul + add where relaxed SIMD is off.
(module
  (import "env" "memory" (memory 0))

  ;; gauss(re, im, P, C, outRe, outIm, sd): Z = A A^H (P x P, both triangles) of the complex P x C matrix A = X + iY
  ;; (X at re, Y at im, row-major; P and C even) by Gauss's three real products instead of four: with the dot
  ;; products over the C columns
  ;;   T1 = X_a . X_b,  T2 = Y_a . Y_b,  T3 = (X + Y)_a . (X - Y)_b,
  ;;   Re Z_ab = T1 + T2,  Im Z_ab = Y_a . X_b - X_a . Y_b = T3 - (T1 - T2),
  ;; as three passes of gaussPass over the blocks b <= a (each writing the mirror b > a of what it finishes), with
  ;; X + Y and X - Y in the scratch sd (2 P C doubles). Why three passes: the three products of one block at once
  ;; need twelve accumulators, which with the loaded operands spill out of V8's fifteen SIMD registers (measured 1.7x
  ;; slower than four products); one product at a time runs eight accumulators at the FMA peak.
  ;; Rounding (toeplitz-enclosure.ts): each lane sums every other column in a chain of C / 2 multiply-adds (a product
  ;; rounded once more where they are not fused), then one lane sum, then one add (Re) or two (Im), T3's operands X + Y
  ;; and X - Y rounded once each: a product's term meets at most C / 2 + 2 roundings in Re and C / 2 + 4 in Im, so
  ;; |error| <= gamma_{C/2+3} m_ab (Re) and gamma_{C/2+5} (sum_c |X_a X_b| + |Y_a Y_b| + |X + Y|_a |X - Y|_b)
  ;; <= 3 gamma_{C/2+5} m_ab (Im), m_ab = sum_c |A_ac| |A_bc| (one rounding to spare in each).
  (func $gauss (export "gauss")
    (param $re i32) (param $im i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32) (param $sd i32)
    (local $n i32)
    (local.set $n (i32.mul (local.get $P) (local.get $C)))
    (call $sumdiff (local.get $re) (local.get $im) (local.get $sd)
      (i32.add (local.get $sd) (i32.shl (local.get $n) (i32.const 3))) (local.get $n))
    (call $gaussPass (local.get $re) (local.get $re) (local.get $P) (local.get $C) (local.get $outRe) (local.get $outIm) (i32.const 0))
    (call $gaussPass (local.get $im) (local.get $im) (local.get $P) (local.get $C) (local.get $outRe) (local.get $outIm) (i32.const 1))
    (call $gaussPass (local.get $sd) (i32.add (local.get $sd) (i32.shl (local.get $n) (i32.const 3)))
      (local.get $P) (local.get $C) (local.get $outRe) (local.get $outIm) (i32.const 2)))

  ;; sumdiff(re, im, sum, diff, n): sum = re + im and diff = re - im for n doubles (n even), one rounding each.
  (func $sumdiff (param $re i32) (param $im i32) (param $sum i32) (param $diff i32) (param $n i32)
    (local $j i32) (local $end i32) (local $x v128) (local $y v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
      (local.set $x (v128.load (i32.add (local.get $re) (local.get $j))))
      (local.set $y (v128.load (i32.add (local.get $im) (local.get $j))))
      (v128.store (i32.add (local.get $sum) (local.get $j)) (f64x2.add (local.get $x) (local.get $y)))
      (v128.store (i32.add (local.get $diff) (local.get $j)) (f64x2.sub (local.get $x) (local.get $y)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next))))

  ;; gaussPass(L, R, P, C, outRe, outIm, mode): T_ab = L_a . R_b for the blocks of rows (a, a + 1) x (b, b + 1), b <= a
  ;; (L, R row-major P x C), stored by the mode (below). Rows (a, a + 1) against four rows b .. b + 3 (eight
  ;; accumulators, six loaded operands per column pair) where b + 2 <= a, else (the diagonal block) against two. Rows b
  ;; go in bands of 64, which stay in L2 while every row pair a >= b reads them.
  (func $gaussPass
    (param $L i32) (param $R i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32) (param $mode i32)
    (local $a i32) (local $b i32) (local $b0 i32) (local $bEnd i32) (local $cc i32) (local $rowBytes i32)
    (local $pa0 i32) (local $pa1 i32) (local $pb i32) (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $g00 v128) (local $g01 v128) (local $g02 v128) (local $g03 v128)
    (local $g10 v128) (local $g11 v128) (local $g12 v128) (local $g13 v128)
    (local $n i32) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowBytes (i32.shl (local.get $C) (i32.const 3)))
    (block $bands_done (loop $bands
      (br_if $bands_done (i32.ge_u (local.get $b0) (local.get $P)))
      (local.set $a (local.get $b0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $a) (local.get $P)))
        (local.set $pa0 (i32.add (local.get $L) (i32.mul (local.get $a) (local.get $rowBytes))))
        (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowBytes)))
        (local.set $bEnd (select (i32.add (local.get $b0) (i32.const 64)) (i32.add (local.get $a) (i32.const 1))
          (i32.lt_u (i32.add (local.get $b0) (i32.const 64)) (i32.add (local.get $a) (i32.const 1)))))
        (local.set $b (local.get $b0))
        (block $cols_done (loop $cols
          (br_if $cols_done (i32.ge_u (local.get $b) (local.get $bEnd)))
          (local.set $pb (i32.add (local.get $R) (i32.mul (local.get $b) (local.get $rowBytes))))
          (local.set $g00 (f64x2.splat (f64.const 0))) (local.set $g01 (f64x2.splat (f64.const 0)))
          (local.set $g02 (f64x2.splat (f64.const 0))) (local.set $g03 (f64x2.splat (f64.const 0)))
          (local.set $g10 (f64x2.splat (f64.const 0))) (local.set $g11 (f64x2.splat (f64.const 0)))
          (local.set $g12 (f64x2.splat (f64.const 0))) (local.set $g13 (f64x2.splat (f64.const 0)))
          (local.set $cc (i32.const 0))
          (local.set $n (i32.const 1))
          (if (i32.le_u (i32.add (local.get $b) (i32.const 2)) (local.get $a))
            (then
              (block $dot_done (loop $dot
                (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
                (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
                (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
                (local.set $y (v128.load (i32.add (local.get $pb) (local.get $cc))))
                (local.set $g00 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g00)))
                (local.set $g10 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g10)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (local.get $rowBytes)) (local.get $cc))))
                (local.set $g01 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g01)))
                (local.set $g11 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g11)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $cc))))
                (local.set $g02 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g02)))
                (local.set $g12 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g12)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $cc))))
                (local.set $g03 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g03)))
                (local.set $g13 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g13)))
                (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
                (br $dot)))
              (local.set $n (i32.const 2)))
            (else
              (block $dot_done (loop $dot
                (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $rowBytes)))
                (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
                (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
                (local.set $y (v128.load (i32.add (local.get $pb) (local.get $cc))))
                (local.set $g00 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g00)))
                (local.set $g10 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g10)))
                (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (local.get $rowBytes)) (local.get $cc))))
                (local.set $g01 (f64x2.relaxed_madd (local.get $x0) (local.get $y) (local.get $g01)))
                (local.set $g11 (f64x2.relaxed_madd (local.get $x1) (local.get $y) (local.get $g11)))
                (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
                (br $dot)))))
          ;; lane sums as pairs: t0 = (T[a][b], T[a][b + 1]), t1 = (T[a + 1][b], T[a + 1][b + 1]); t2, t3 at b + 2
          (local.set $t0
            (f64x2.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g00) (local.get $g01))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g00) (local.get $g01))))
          (local.set $t1
            (f64x2.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g10) (local.get $g11))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g10) (local.get $g11))))
          (local.set $t2
            (f64x2.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g02) (local.get $g03))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g02) (local.get $g03))))
          (local.set $t3
            (f64x2.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g12) (local.get $g13))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g12) (local.get $g13))))
          ;; the n finished 2 x 2 blocks (store; shared with gaussPass32, and as fast as inline: the accumulators are
          ;; dead by now, the call spills only what the next block reloads anyway)
          (call $store (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $a) (local.get $b) (local.get $n)
            (local.get $mode) (local.get $t0) (local.get $t1) (local.get $t2) (local.get $t3))
          (local.set $b (i32.add (local.get $b) (i32.const 4)))
          (br $cols)))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (br $rows)))
      (local.set $b0 (i32.add (local.get $b0) (i32.const 64)))
      (br $bands))))

  ;; gauss32(re, im, P, C, outRe, outIm, sd): gauss's Z = A A^H (float64 in and out, same layout) with A rounded to
  ;; float32 first and the three real products in float32 (four lanes per multiply-add instead of two): the Toeplitz
  ;; bound's last step (toeplitz-step.ts), whose Grams are most of its arithmetic. sd: 16 P C4 bytes of scratch for
  ;; X, Y, X + Y and X - Y in float32 (C4 = C rounded up to a multiple of 4, the rows padded with zeros).
  ;; Rounding (toeplitz-enclosure.ts gram32Allowance): X, Y rounded once to float32 (<= u32 relative, plus 2^-150
  ;; where subnormal), X + Y and X - Y once more (float32 sums of float32 values: no underflow error). Each lane sums
  ;; every fourth column in blocks of 64 columns (chains of 16 multiply-adds started at 0, a product rounded once more
  ;; where they are not fused), the block's lanes summed as (l0 + l2) + (l1 + l3) in float32, converted exactly to
  ;; float64 and added to the previous blocks' sum in float64; then gauss's one add (Re) or two (Im) in float64. A
  ;; term meets at most 16 + 1 + 2 + 2 float32 roundings and ceil(C4 / 64) + 2 float64 ones.
  (func $gauss32 (export "gauss32")
    (param $re i32) (param $im i32) (param $P i32) (param $C i32) (param $outRe i32) (param $outIm i32) (param $sd i32)
    (local $C4 i32) (local $n i32)
    (local.set $C4 (i32.and (i32.add (local.get $C) (i32.const 3)) (i32.const -4)))
    (local.set $n (i32.shl (i32.mul (local.get $P) (local.get $C4)) (i32.const 2)))
    (call $demote (local.get $re) (local.get $im) (local.get $P) (local.get $C) (local.get $C4) (local.get $sd) (local.get $n))
    (call $gaussPass32 (local.get $sd) (local.get $sd) (local.get $P) (local.get $C4) (local.get $outRe) (local.get $outIm) (i32.const 0))
    (call $gaussPass32 (i32.add (local.get $sd) (local.get $n)) (i32.add (local.get $sd) (local.get $n))
      (local.get $P) (local.get $C4) (local.get $outRe) (local.get $outIm) (i32.const 1))
    (call $gaussPass32 (i32.add (local.get $sd) (i32.shl (local.get $n) (i32.const 1)))
      (i32.add (local.get $sd) (i32.mul (local.get $n) (i32.const 3)))
      (local.get $P) (local.get $C4) (local.get $outRe) (local.get $outIm) (i32.const 2)))

  ;; demote(re, im, P, C, C4, sd, n): X and Y (P x C float64, row-major) rounded to float32 at sd and sd + n (P x C4,
  ;; the columns C .. C4 - 1 zero), X + Y at sd + 2 n and X - Y at sd + 3 n.
  (func $demote (param $re i32) (param $im i32) (param $P i32) (param $C i32) (param $C4 i32) (param $sd i32) (param $n i32)
    (local $a i32) (local $c i32) (local $src i32) (local $dst i32) (local $x v128) (local $y v128)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $P)))
      (local.set $c (i32.const 0))
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $src (i32.shl (i32.add (i32.mul (local.get $a) (local.get $C)) (local.get $c)) (i32.const 3)))
        (local.set $dst (i32.add (local.get $sd)
          (i32.shl (i32.add (i32.mul (local.get $a) (local.get $C4)) (local.get $c)) (i32.const 2))))
        ;; columns c, c + 1 (and zeros), then c + 2, c + 3 where the row has them (C is even)
        (local.set $x (f32x4.demote_f64x2_zero (v128.load (i32.add (local.get $re) (local.get $src)))))
        (local.set $y (f32x4.demote_f64x2_zero (v128.load (i32.add (local.get $im) (local.get $src)))))
        (if (i32.le_u (i32.add (local.get $c) (i32.const 4)) (local.get $C))
          (then
            (local.set $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x)
              (f32x4.demote_f64x2_zero (v128.load offset=16 (i32.add (local.get $re) (local.get $src))))))
            (local.set $y (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $y)
              (f32x4.demote_f64x2_zero (v128.load offset=16 (i32.add (local.get $im) (local.get $src))))))))
        (v128.store (local.get $dst) (local.get $x))
        (v128.store (i32.add (local.get $dst) (local.get $n)) (local.get $y))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 1))) (f32x4.add (local.get $x) (local.get $y)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $n) (i32.const 3))) (f32x4.sub (local.get $x) (local.get $y)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cols)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $rows))))

  ;; gaussPass32(L, R, P, C4, outRe, outIm, mode): gaussPass on float32 rows of C4 columns (L, R row-major P x C4), the
  ;; same blocks, bands and stores; the columns in blocks of 64 (256 bytes), each block's lane sums added in float64.
  (func $gaussPass32
    (param $L i32) (param $R i32) (param $P i32) (param $C4 i32) (param $outRe i32) (param $outIm i32) (param $mode i32)
    (local $a i32) (local $b i32) (local $b0 i32) (local $bEnd i32) (local $cc i32) (local $stop i32) (local $rowBytes i32)
    (local $pa0 i32) (local $pa1 i32) (local $pb i32) (local $full i32) (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $g00 v128) (local $g01 v128) (local $g02 v128) (local $g03 v128)
    (local $g10 v128) (local $g11 v128) (local $g12 v128) (local $g13 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $u v128) (local $v v128)
    (local.set $rowBytes (i32.shl (local.get $C4) (i32.const 2)))
    (block $bands_done (loop $bands
      (br_if $bands_done (i32.ge_u (local.get $b0) (local.get $P)))
      (local.set $a (local.get $b0))
      (block $rows_done (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $a) (local.get $P)))
        (local.set $pa0 (i32.add (local.get $L) (i32.mul (local.get $a) (local.get $rowBytes))))
        (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowBytes)))
        (local.set $bEnd (select (i32.add (local.get $b0) (i32.const 64)) (i32.add (local.get $a) (i32.const 1))
          (i32.lt_u (i32.add (local.get $b0) (i32.const 64)) (i32.add (local.get $a) (i32.const 1)))))
        (local.set $b (local.get $b0))
        (block $cols_done (loop $cols
          (br_if $cols_done (i32.ge_u (local.get $b) (local.get $bEnd)))
          (local.set $pb (i32.add (local.get $R) (i32.mul (local.get $b) (local.get $rowBytes))))
          (local.set $full (i32.le_u (i32.add (local.get $b) (i32.const 2)) (local.get $a)))
          (local.set $t0 (f64x2.splat (f64.const 0))) (local.set $t1 (f64x2.splat (f64.const 0)))
          (local.set $t2 (f64x2.splat (f64.const 0))) (local.set $t3 (f64x2.splat (f64.const 0)))
          (local.set $cc (i32.const 0))
          (loop $blocks
            (local.set $g00 (f32x4.splat (f32.const 0))) (local.set $g01 (f32x4.splat (f32.const 0)))
            (local.set $g02 (f32x4.splat (f32.const 0))) (local.set $g03 (f32x4.splat (f32.const 0)))
            (local.set $g10 (f32x4.splat (f32.const 0))) (local.set $g11 (f32x4.splat (f32.const 0)))
            (local.set $g12 (f32x4.splat (f32.const 0))) (local.set $g13 (f32x4.splat (f32.const 0)))
            (local.set $stop (select (i32.add (local.get $cc) (i32.const 256)) (local.get $rowBytes)
              (i32.lt_u (i32.add (local.get $cc) (i32.const 256)) (local.get $rowBytes))))
            (if (local.get $full)
              (then
                (block $dot_done (loop $dot
                  (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $stop)))
                  (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
                  (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
                  (local.set $y (v128.load (i32.add (local.get $pb) (local.get $cc))))
                  (local.set $g00 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $g00)))
                  (local.set $g10 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $g10)))
                  (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (local.get $rowBytes)) (local.get $cc))))
                  (local.set $g01 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $g01)))
                  (local.set $g11 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $g11)))
                  (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $cc))))
                  (local.set $g02 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $g02)))
                  (local.set $g12 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $g12)))
                  (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $cc))))
                  (local.set $g03 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $g03)))
                  (local.set $g13 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $g13)))
                  (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
                  (br $dot))))
              (else
                (block $dot_done (loop $dot
                  (br_if $dot_done (i32.ge_u (local.get $cc) (local.get $stop)))
                  (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $cc))))
                  (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $cc))))
                  (local.set $y (v128.load (i32.add (local.get $pb) (local.get $cc))))
                  (local.set $g00 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $g00)))
                  (local.set $g10 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $g10)))
                  (local.set $y (v128.load (i32.add (i32.add (local.get $pb) (local.get $rowBytes)) (local.get $cc))))
                  (local.set $g01 (f32x4.relaxed_madd (local.get $x0) (local.get $y) (local.get $g01)))
                  (local.set $g11 (f32x4.relaxed_madd (local.get $x1) (local.get $y) (local.get $g11)))
                  (local.set $cc (i32.add (local.get $cc) (i32.const 16)))
                  (br $dot)))))
            ;; the block's lane sums (l0 + l2) + (l1 + l3) in float32 (two roundings) of rows a, a + 1 against b .. b + 3
            ;; (zero beyond b + 1 in a diagonal block), inline (a call would spill t0 .. t3): first each pair of
            ;; accumulators to (l0 + l2, l1 + l3) of both, then u = (T[a][b], .., T[a][b + 3]) and v the same of row
            ;; a + 1; added in float64 to t0 = (T[a][b], T[a][b + 1]), t1 (row a + 1), t2, t3 (at b + 2).
            (local.set $g00 (f32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g00) (local.get $g01))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g00) (local.get $g01))))
            (local.set $g02 (f32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g02) (local.get $g03))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g02) (local.get $g03))))
            (local.set $g10 (f32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g10) (local.get $g11))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g10) (local.get $g11))))
            (local.set $g12 (f32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g12) (local.get $g13))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g12) (local.get $g13))))
            (local.set $u (f32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $g00) (local.get $g02))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $g00) (local.get $g02))))
            (local.set $v (f32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $g10) (local.get $g12))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $g10) (local.get $g12))))
            (local.set $t0 (f64x2.add (local.get $t0) (f64x2.promote_low_f32x4 (local.get $u))))
            (local.set $t1 (f64x2.add (local.get $t1) (f64x2.promote_low_f32x4 (local.get $v))))
            (local.set $t2 (f64x2.add (local.get $t2) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u)))))
            (local.set $t3 (f64x2.add (local.get $t3) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
            (br_if $blocks (i32.lt_u (local.get $cc) (local.get $rowBytes))))
          (call $store (local.get $outRe) (local.get $outIm) (local.get $P) (local.get $a) (local.get $b)
            (select (i32.const 2) (i32.const 1) (local.get $full)) (local.get $mode)
            (local.get $t0) (local.get $t1) (local.get $t2) (local.get $t3))
          (local.set $b (i32.add (local.get $b) (i32.const 4)))
          (br $cols)))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (br $rows)))
      (local.set $b0 (i32.add (local.get $b0) (i32.const 64)))
      (br $bands))))

  ;; store(outRe, outIm, P, a, b, n, mode, t0, t1, t2, t3): the n finished 2 x 2 blocks of a pass, t0 = (T[a][b],
  ;; T[a][b + 1]), t1 the same of row a + 1, t2 and t3 at b + 2, by the pass's mode: 0 (T1) Re Z = T1; 1 (T2) Re Z =
  ;; T1 + T2 and, where Im Z goes, T1 - T2; 2 (T3) Im Z = T3 - (T1 - T2). The part it finishes goes to rows a, a + 1
  ;; and, for col < a, to its mirror Z[col + j][a, a + 1] = sign Z[a, a + 1][col + j] (sign 1 for Re, -1 for Im: exact).
  (func $store (param $outRe i32) (param $outIm i32) (param $P i32) (param $a i32) (param $b i32) (param $n i32)
    (param $mode i32) (param $t0 v128) (param $t1 v128) (param $t2 v128) (param $t3 v128)
    (local $col i32) (local $o i32) (local $next i32) (local $out i32) (local $u0 v128) (local $u1 v128) (local $s v128)
    (local.set $col (local.get $b))
    (loop $store
      (local.set $o (i32.shl (i32.add (i32.mul (local.get $a) (local.get $P)) (local.get $col)) (i32.const 3)))
      (local.set $next (i32.add (local.get $o) (i32.shl (local.get $P) (i32.const 3))))
      (local.set $out (local.get $outRe))
      (local.set $s (f64x2.splat (f64.const 1)))
      (if (i32.eq (local.get $mode) (i32.const 1))
        (then
          (local.set $u0 (v128.load (i32.add (local.get $outRe) (local.get $o))))
          (local.set $u1 (v128.load (i32.add (local.get $outRe) (local.get $next))))
          (v128.store (i32.add (local.get $outIm) (local.get $o)) (f64x2.sub (local.get $u0) (local.get $t0)))
          (v128.store (i32.add (local.get $outIm) (local.get $next)) (f64x2.sub (local.get $u1) (local.get $t1)))
          (local.set $t0 (f64x2.add (local.get $u0) (local.get $t0)))
          (local.set $t1 (f64x2.add (local.get $u1) (local.get $t1)))))
      (if (i32.eq (local.get $mode) (i32.const 2))
        (then
          (local.set $out (local.get $outIm))
          (local.set $s (f64x2.splat (f64.const -1)))
          (local.set $t0 (f64x2.sub (local.get $t0) (v128.load (i32.add (local.get $outIm) (local.get $o)))))
          (local.set $t1 (f64x2.sub (local.get $t1) (v128.load (i32.add (local.get $outIm) (local.get $next)))))))
      (v128.store (i32.add (local.get $out) (local.get $o)) (local.get $t0))
      (v128.store (i32.add (local.get $out) (local.get $next)) (local.get $t1))
      (if (i32.lt_u (local.get $col) (local.get $a))
        (then
          (local.set $o (i32.add (local.get $out)
            (i32.shl (i32.add (i32.mul (local.get $col) (local.get $P)) (local.get $a)) (i32.const 3))))
          (v128.store (local.get $o) (f64x2.mul (local.get $s)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))))
          (v128.store (i32.add (local.get $o) (i32.shl (local.get $P) (i32.const 3))) (f64x2.mul (local.get $s)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))))
      (local.set $t0 (local.get $t2))
      (local.set $t1 (local.get $t3))
      (local.set $col (i32.add (local.get $col) (i32.const 2)))
      (br_if $store (i32.lt_u (local.get $col) (i32.add (local.get $b) (i32.shl (local.get $n) (i32.const 1)))))))
)
