/**
 * @file compress.h
 * @brief Weight transforms for model compression (issue 17): magnitude
 *        pruning (unstructured, and structured by output channel with the
 *        graph shrunk), k-means weight clustering, the compressed size of a
 *        graph's weights, and the constraint that keeps a fine-tune from
 *        undoing them. `vsrbench compress` chains them (docs/COMPRESSION.md).
 *
 * What is transformed: the kernels of conv2d nodes ("<layer>.weight");
 * biases, PReLU slopes and norm parameters stay dense FP32 (as TF-MOT's
 * prune_low_magnitude and cluster_weights do), except that structured
 * pruning also zeroes the bias of a removed channel.
 *
 * The transforms work in place on a graph of the zoo's shapes, so the result
 * still loads wherever the original weights do; the state (which weights are
 * pruned, which share a centroid) is read back from the values themselves:
 * a kernel weight that is exactly 0 is pruned, a clustered kernel holds at
 * most K distinct non-zero values. vsr_compress_shrink() then builds the
 * smaller graph a structured prune stands for.
 *
 * Ownership: every function borrows its graph; *out graphs and constraints
 * belong to the caller (vsr_graph_free(), vsr_compress_constraint_free()).
 */
#ifndef VSR_COMPRESS_H
#define VSR_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "vsr/core.h"
#include "vsr/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- primitives on plain arrays (the tested rules) ------------------------ */

/**
 * Magnitude pruning of @p n values to sparsity @p s in [0, 1): the
 * p = floor(s * n + 0.5) values of smallest |w| are pruned (keep[i] = 0),
 * the others kept (keep[i] = 1). Ties: values are ordered by |w|, then by
 * index, so among equal magnitudes the lower index is pruned first. NaN
 * sorts as the largest magnitude. Returns p.
 */
size_t vsr_compress_prune_mask(const float *w, size_t n, double s, unsigned char *keep);

/**
 * 1-D k-means (Lloyd) of @p n values into @p k >= 2 clusters. Init: TF-MOT's
 * "linear" (k centroids evenly spaced over [min, max], deterministic: no seed
 * needed). Each iteration assigns every value to its nearest centroid (ties:
 * the lower centroid index) and moves each centroid to the mean of its values
 * (an empty cluster keeps its centroid); it stops when no assignment changed,
 * or after @p max_iter iterations. @p centroids (k) and @p assign (n, may be
 * NULL) receive the result, *iters (may be NULL) the iterations run.
 * -EINVAL for k < 2 or n == 0.
 */
int vsr_compress_kmeans(const float *x, size_t n, int k, int max_iter, float *centroids,
                        int *assign, int *iters, vsr_error *err);

/** Bytes of a kernel of @p n values, @p nnz non-zero, stored as a bitmask of the non-zeros
 *  (ceil(n / 8) bytes) + the non-zeros as FP32 (4 nnz). */
size_t vsr_compress_sparse_bytes(size_t n, size_t nnz);
/** Bytes of a clustered kernel of @p n values, @p nnz non-zero: a bitmask of the non-zeros
 *  (ceil(n / 8), only when nnz < n), the @p k FP32 centroids (4 k) and one
 *  ceil(log2 k)-bit index per non-zero value, packed (ceil(nnz * bits / 8)). */
size_t vsr_compress_cluster_bytes(size_t n, size_t nnz, int k);

/* ---- transforms on a graph -------------------------------------------------- */

/** Unstructured pruning scope. */
typedef enum vsr_compress_scope {
    VSR_COMPRESS_PER_LAYER = 0, /**< each conv kernel to the sparsity (TF-MOT's default) */
    VSR_COMPRESS_GLOBAL = 1,    /**< one magnitude threshold over all conv kernels */
} vsr_compress_scope;

/** Norm of an output channel's filter (structured pruning). */
typedef enum vsr_compress_norm {
    VSR_COMPRESS_L1 = 0,
    VSR_COMPRESS_L2 = 1,
} vsr_compress_norm;

/**
 * Unstructured magnitude pruning of every conv kernel of @p g (all weights
 * set) to sparsity @p s in [0, 1) with vsr_compress_prune_mask()'s rule, per
 * layer or over all kernels at once (then ties order by kernel order, then
 * index). Pruned weights are set to 0. -EINVAL for s outside [0, 1).
 */
int vsr_compress_prune(vsr_graph *g, double s, vsr_compress_scope scope, vsr_error *err);

/**
 * Structured pruning by output channel: in every conv whose output channels
 * can be removed (see below), the round(s * cout) channels (at most cout - 1)
 * of smallest L1 / L2 filter norm (over kh x kw x cin; ties: lower channel
 * first) get their kernel column and bias set to 0, so vsr_compress_shrink()
 * removes them exactly. A conv's channels can be removed when it is dense
 * (groups 1), its fused activation maps 0 to 0 (none, relu, leaky, prelu,
 * clip with lo <= 0 <= hi), and each consumer of its output, through such
 * activations, is a dense conv (which then loses the matching input
 * channels); an add, concat, depthwise conv, depth-to-space, graph output or
 * other op ties the channel count and blocks. @p log (cap bytes, may be
 * NULL) receives one line per conv: "conv_in: 28 -> 14" or "conv_up2: kept
 * (output feeds add_anchor, add)". -ENOTSUP naming the first blocking node
 * when no conv can be pruned; -EINVAL for s outside [0, 1).
 */
int vsr_compress_prune_channels(vsr_graph *g, double s, vsr_compress_norm norm, char *log,
                                size_t cap, vsr_error *err);

/**
 * A new graph (*out, named as @p g, weights set) without the all-zero output
 * channels (kernel column and bias exactly 0) of every conv that
 * vsr_compress_prune_channels() could prune, and without the matching input
 * channels of their consumers (and per-channel PReLU slopes); at least one
 * channel of each conv stays. Its outputs equal @p g's, since a removed
 * channel is 0 everywhere (zero padding included). Every other node is
 * copied as is; an op the copy does not know is -ENOTSUP naming the node.
 * FP32 only: quantization parameters are not copied.
 */
int vsr_compress_shrink(const vsr_graph *g, vsr_graph **out, vsr_error *err);

/**
 * k-means clustering of every conv kernel of @p g: its non-zero values are
 * clustered into @p k centroids (vsr_compress_kmeans(), at most @p max_iter
 * iterations) and replaced by their centroid; zeros (pruned weights) stay 0
 * (TF-MOT's sparsity-preserving clustering). A kernel with at most k distinct
 * non-zero values is left as is. -EINVAL for k < 2.
 */
int vsr_compress_cluster(vsr_graph *g, int k, int max_iter, vsr_error *err);

/** Sizes of a graph's weights. */
typedef struct vsr_compress_size {
    size_t bytes;       /**< in the encoding chosen (see vsr_compress_size()) */
    size_t dense_bytes; /**< 4 bytes per weight element (FP32) */
    int64_t elements;   /**< weight elements of the graph */
    int64_t nonzero;    /**< of them, non-zero */
} vsr_compress_size;

/**
 * The size of @p g's weights: each conv kernel as vsr_compress_cluster_bytes()
 * when @p k >= 2 (the graph was clustered to k), else as
 * vsr_compress_sparse_bytes() when @p sparse and the kernel has zeros, else
 * dense FP32; every other weight dense FP32.
 */
int vsr_compress_measure(const vsr_graph *g, int sparse, int k, vsr_compress_size *out,
                         vsr_error *err);

/* ---- keeping the transforms during a fine-tune -------------------------------- */

/**
 * What a fine-tune must keep, over the flat weight vector of a graph (weights
 * in graph order, each in its own layout: vsr_train_net_params()'s). Opaque.
 */
typedef struct vsr_compress_constraint vsr_compress_constraint;

/**
 * The constraint of @p g's current weights: with @p masked, every conv kernel
 * element that is 0 stays 0, and so does a zero bias of a channel whose
 * kernel column is all 0 (a structurally pruned channel); with @p clustered,
 * the non-zero elements of each conv kernel that share a value stay tied
 * (one cluster per distinct value). Free with vsr_compress_constraint_free().
 */
int vsr_compress_constraint_create(const vsr_graph *g, int masked, int clustered,
                                   vsr_compress_constraint **out, vsr_error *err);
void vsr_compress_constraint_free(vsr_compress_constraint **c);
/** Number of elements of the flat vector the constraint was made for. */
size_t vsr_compress_constraint_size(const vsr_compress_constraint *c);
/**
 * Constrain a gradient @p grad of @p n (= the size) elements: masked elements
 * get 0, the elements of a cluster all get the cluster's mean gradient (so
 * an optimizer that treats equal gradients equally, as Adam does, moves a
 * cluster's weights together: the centroid's gradient, as in TF-MOT, up to
 * the 1 / size factor that Adam's normalisation cancels).
 */
void vsr_compress_constraint_grad(const vsr_compress_constraint *c, double *grad, size_t n);
/** Project weights @p w onto the constraint: masked elements 0, each cluster set to the mean
 *  of its elements (a no-op when the gradients were constrained). */
void vsr_compress_constraint_project(const vsr_compress_constraint *c, float *w, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* VSR_COMPRESS_H */
