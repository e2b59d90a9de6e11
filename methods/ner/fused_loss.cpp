// The NER loss and its gradient in one pass over the rows of the 2B x 2B similarity matrix (CPU).
//
// Same quantities as _RankContrast in loss.py, row by row instead of whole-matrix tensor operations, so
// that a row's similarities, exponentials and cumulative sums stay in L1 cache. The anchors r and r + B
// share their label (hence their far-to-near order and tie groups): they are processed together, so each
// serial cumulative sum runs two independent chains side by side.
//
// Built with -O3 -ffast-math -march=native: GCC then calls glibc's vector exp/log (libmvec). Sums that
// feed the loss, and the cumulative sums, are kept in double.
//
// items_t: (dim, n) coordinates, item-major within a coordinate; order: (B, B) int32 far-to-near label
// columns; group_count: (B, B) items in the tie group ending at a position (0 inside a group);
// grad_t: (dim, n) d loss / d items written here, or null for the value only. Returns the loss.

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

// one anchor's row, kept small enough for L1 cache: squared distances become inverse distances in place,
// and the gradient's couplings overwrite the exponentials once the per-label sums are taken
template <typename T>
struct Row {
    std::vector<T> inverse, exp_similarity, per_label, cumulative;
    explicit Row(int64_t n) : inverse(n), exp_similarity(n), per_label(n / 2), cumulative(n / 2) {}
};

// similarities of anchor a with every item; returns their sum
template <typename T>
double similarities(const T* items_t, int64_t n, int64_t dim, int64_t a, T scale, Row<T>& row) {
    T* __restrict__ squared = row.inverse.data();
    for (int64_t b = 0; b < n; ++b) squared[b] = T(0);
    for (int64_t c = 0; c < dim; ++c) {
        const T* column = items_t + c * n;
        const T anchor = column[a];
        for (int64_t b = 0; b < n; ++b) {
            const T difference = column[b] - anchor;
            squared[b] += difference * difference;
        }
    }
    T* __restrict__ exp_similarity = row.exp_similarity.data();
    double total = 0.0;
    for (int64_t b = 0; b < n; ++b) {
        const T q = squared[b];
        const T inverse_distance = q > T(0) ? T(1) / std::sqrt(q) : T(0);  // 0 for the anchor and duplicates
        const T similarity = q * inverse_distance * scale;
        squared[b] = inverse_distance;
        exp_similarity[b] = std::exp(similarity);
        total += similarity;
    }
    return total;
}

// exp-similarities summed over the two items of each label column, the anchor itself left out
template <typename T>
void per_label_sums(int64_t half, int64_t a, Row<T>& row) {
    const T* e = row.exp_similarity.data();
    T* w = row.per_label.data();
    for (int64_t c = 0; c < half; ++c) w[c] = e[c] + e[c + half];
    const int64_t column = a % half;
    w[column] = a < half ? e[a + half] : e[a - half];
}

// log terms of two anchors sharing one order; leaves d loss / d per_label (times `scale`) in per_label
// (the rows' arrays never overlap: __restrict__)
template <typename T>
double log_terms(const int32_t* __restrict__ order, const T* __restrict__ group_count, int64_t half, T scale,
                 Row<T>& first, Row<T>& second, bool gradient) {
    const T tiny = std::numeric_limits<T>::min();
    T* __restrict__ w_first = first.per_label.data();
    T* __restrict__ w_second = second.per_label.data();
    T* __restrict__ c_first = first.cumulative.data();
    T* __restrict__ c_second = second.cumulative.data();
    double sum_first = 0.0, sum_second = 0.0;
    for (int64_t i = 0; i < half; ++i) {
        const int32_t column = order[i];
        sum_first += w_first[column];
        sum_second += w_second[column];
        c_first[i] = sum_first > tiny ? T(sum_first) : tiny;
        c_second[i] = sum_second > tiny ? T(sum_second) : tiny;
    }
    double total = 0.0;
    for (int64_t i = 0; i < half; ++i)
        total += double(group_count[i]) * double(std::log(c_first[i]) + std::log(c_second[i]));
    if (!gradient) return total;
    // d/d per_label[order[i]] = sum over positions i' >= i of group_count / cumulative
    for (int64_t i = 0; i < half; ++i) {
        c_first[i] = group_count[i] / c_first[i];
        c_second[i] = group_count[i] / c_second[i];
    }
    double from_here_first = 0.0, from_here_second = 0.0;
    for (int64_t i = half - 1; i >= 0; --i) {
        const int32_t column = order[i];
        from_here_first += c_first[i];
        from_here_second += c_second[i];
        w_first[column] = T(from_here_first) * scale;
        w_second[column] = T(from_here_second) * scale;
    }
    return total;
}

// d loss / d items of anchor a's row: coupling_ab = (d loss / d distance_ab) / distance_ab
template <typename T>
void add_gradient(const T* items_t, int64_t n, int64_t dim, int64_t a, T scale, Row<T>& row, T* grad_t) {
    const int64_t half = n / 2;
    T* __restrict__ coupling = row.exp_similarity.data();
    const T* __restrict__ inverse = row.inverse.data();
    const T* __restrict__ r = row.per_label.data();
    for (int64_t b = 0; b < half; ++b) coupling[b] = (coupling[b] * r[b] - scale) * inverse[b];
    for (int64_t b = half; b < n; ++b) coupling[b] = (coupling[b] * r[b - half] - scale) * inverse[b];
    for (int64_t c = 0; c < dim; ++c) {
        const T* __restrict__ column = items_t + c * n;
        T* __restrict__ grad = grad_t + c * n;
        const T anchor = column[a];
        T own = T(0);
        for (int64_t b = 0; b < n; ++b) {
            const T term = coupling[b] * (anchor - column[b]);
            own += term;
            grad[b] -= term;
        }
        grad[a] += own;
    }
}

template <typename T>
double fused_loss(const T* items_t, int64_t n, int64_t dim, const int32_t* order, const T* group_count,
                  double temperature, T* grad_t) {
    const int64_t half = n / 2;
    const double pairs = double(n) * double(n - 1);
    const T similarity_scale = T(-1.0 / temperature);
    const T gradient_scale = T(-1.0 / (temperature * pairs));
    const bool gradient = grad_t != nullptr;
    if (gradient)
        for (int64_t i = 0; i < dim * n; ++i) grad_t[i] = T(0);
    Row<T> first(n), second(n);
    double log_total = 0.0, similarity_total = 0.0;
    for (int64_t r = 0; r < half; ++r) {
        similarity_total += similarities(items_t, n, dim, r, similarity_scale, first);
        similarity_total += similarities(items_t, n, dim, r + half, similarity_scale, second);
        per_label_sums(half, r, first);
        per_label_sums(half, r + half, second);
        log_total += log_terms(order + r * half, group_count + r * half, half, gradient_scale, first, second,
                               gradient);
        if (gradient) {
            add_gradient(items_t, n, dim, r, gradient_scale, first, grad_t);
            add_gradient(items_t, n, dim, r + half, gradient_scale, second, grad_t);
        }
    }
    return (log_total - similarity_total) / pairs;
}

}  // namespace

extern "C" {

double ner_fused_loss_float32(const float* items_t, int64_t n, int64_t dim, const int32_t* order,
                              const float* group_count, double temperature, float* grad_t) {
    return fused_loss(items_t, n, dim, order, group_count, temperature, grad_t);
}

double ner_fused_loss_float64(const double* items_t, int64_t n, int64_t dim, const int32_t* order,
                              const double* group_count, double temperature, double* grad_t) {
    return fused_loss(items_t, n, dim, order, group_count, temperature, grad_t);
}

}
