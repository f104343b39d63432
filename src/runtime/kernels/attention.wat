;; Two float32 matrix kernels for per-sample attention, in WebAssembly SIMD (f32x4).
;; Built into src/runtime/kernels/attention_wasm.ts by `node scripts/build-kernels.mjs`.
;;
;; Pointers and strides are in bytes; every row is `d` floats, d a multiple of 16, rows 16-byte
;; aligned. The matrices of one sample and head are small (t ≤ 128 rows of 64 floats), so they
;; stay in L1 and the kernels need no tiling beyond the register blocks below.
(module
  (memory (export "memory") 1)

  ;; c[i, j] = scale · (a_i · b_j) for i < m, j < n  (C = scale · A Bᵀ; scores, dP = dO Vᵀ).
  ;; Four rows of B at a time share each load of a_i.
  (func (export "dots")
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $c i32) (param $cs i32)
    (param $m i32) (param $n i32) (param $d i32) (param $scale f32)
    (local $i i32) (local $j i32) (local $k i32) (local $db i32)
    (local $ai i32) (local $ci i32) (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $x v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $db (i32.shl (local.get $d) (i32.const 2)))
    (block $done_i
      (loop $rows
        (br_if $done_i (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $ai (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $as))))
        (local.set $ci (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cs))))
        (local.set $j (i32.const 0))
        ;; blocks of four columns
        (block $done_j4
          (loop $cols4
            (br_if $done_j4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $bs))))
            (local.set $b1 (i32.add (local.get $b0) (local.get $bs)))
            (local.set $b2 (i32.add (local.get $b1) (local.get $bs)))
            (local.set $b3 (i32.add (local.get $b2) (local.get $bs)))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $s1 (v128.const i32x4 0 0 0 0))
            (local.set $s2 (v128.const i32x4 0 0 0 0))
            (local.set $s3 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $inner
              (local.set $x (v128.load (i32.add (local.get $ai) (local.get $k))))
              (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b0) (local.get $k))))))
              (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b1) (local.get $k))))))
              (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b2) (local.get $k))))))
              (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $x) (v128.load (i32.add (local.get $b3) (local.get $k))))))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br_if $inner (i32.lt_u (local.get $k) (local.get $db))))
            (f32.store offset=0 (i32.add (local.get $ci) (i32.shl (local.get $j) (i32.const 2)))
              (f32.mul (local.get $scale) (call $hsum (local.get $s0))))
            (f32.store offset=4 (i32.add (local.get $ci) (i32.shl (local.get $j) (i32.const 2)))
              (f32.mul (local.get $scale) (call $hsum (local.get $s1))))
            (f32.store offset=8 (i32.add (local.get $ci) (i32.shl (local.get $j) (i32.const 2)))
              (f32.mul (local.get $scale) (call $hsum (local.get $s2))))
            (f32.store offset=12 (i32.add (local.get $ci) (i32.shl (local.get $j) (i32.const 2)))
              (f32.mul (local.get $scale) (call $hsum (local.get $s3))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $cols4)))
        ;; remaining columns one at a time
        (block $done_j
          (loop $cols
            (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $bs))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $inner1
              (local.set $s0 (f32x4.add (local.get $s0)
                (f32x4.mul (v128.load (i32.add (local.get $ai) (local.get $k))) (v128.load (i32.add (local.get $b0) (local.get $k))))))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br_if $inner1 (i32.lt_u (local.get $k) (local.get $db))))
            (f32.store (i32.add (local.get $ci) (i32.shl (local.get $j) (i32.const 2)))
              (f32.mul (local.get $scale) (call $hsum (local.get $s0))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; c_r = scale · Σ_{s < n} P(r, s) · b_s for r < m, where P(r, s) is the float at
  ;; p + r·prs + s·pcs: C = scale · P B with pcs = 4 (output, dQ), C = scale · Pᵀ B with prs = 4
  ;; (dV, dK). Zero coefficients (padded keys) are skipped. Sixteen output floats per pass stay
  ;; in registers.
  (func (export "mix")
    (param $p i32) (param $prs i32) (param $pcs i32) (param $b i32) (param $bs i32) (param $c i32) (param $cs i32)
    (param $m i32) (param $n i32) (param $d i32) (param $scale f32)
    (local $r i32) (local $s i32) (local $kc i32) (local $db i32)
    (local $pr i32) (local $cr i32) (local $bk i32) (local $coef f32) (local $cv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $sv v128)
    (local.set $db (i32.shl (local.get $d) (i32.const 2)))
    (local.set $sv (f32x4.splat (local.get $scale)))
    (block $done_r
      (loop $rows
        (br_if $done_r (i32.ge_u (local.get $r) (local.get $m)))
        (local.set $pr (i32.add (local.get $p) (i32.mul (local.get $r) (local.get $prs))))
        (local.set $cr (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $cs))))
        (local.set $kc (i32.const 0))
        (loop $chunks
          (local.set $a0 (v128.const i32x4 0 0 0 0))
          (local.set $a1 (v128.const i32x4 0 0 0 0))
          (local.set $a2 (v128.const i32x4 0 0 0 0))
          (local.set $a3 (v128.const i32x4 0 0 0 0))
          (local.set $s (i32.const 0))
          (block $done_s
            (loop $terms
              (br_if $done_s (i32.ge_u (local.get $s) (local.get $n)))
              (local.set $coef (f32.load (i32.add (local.get $pr) (i32.mul (local.get $s) (local.get $pcs)))))
              (if (f32.ne (local.get $coef) (f32.const 0))
                (then
                  (local.set $cv (f32x4.splat (local.get $coef)))
                  (local.set $bk (i32.add (i32.add (local.get $b) (i32.mul (local.get $s) (local.get $bs))) (local.get $kc)))
                  (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $cv) (v128.load offset=0 (local.get $bk)))))
                  (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $cv) (v128.load offset=16 (local.get $bk)))))
                  (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $cv) (v128.load offset=32 (local.get $bk)))))
                  (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $cv) (v128.load offset=48 (local.get $bk)))))))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br $terms)))
          (v128.store offset=0 (i32.add (local.get $cr) (local.get $kc)) (f32x4.mul (local.get $sv) (local.get $a0)))
          (v128.store offset=16 (i32.add (local.get $cr) (local.get $kc)) (f32x4.mul (local.get $sv) (local.get $a1)))
          (v128.store offset=32 (i32.add (local.get $cr) (local.get $kc)) (f32x4.mul (local.get $sv) (local.get $a2)))
          (v128.store offset=48 (i32.add (local.get $cr) (local.get $kc)) (f32x4.mul (local.get $sv) (local.get $a3)))
          (local.set $kc (i32.add (local.get $kc) (i32.const 64)))
          (br_if $chunks (i32.lt_u (local.get $kc) (local.get $db))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v))))))
