// The label side of the NER loss for float32 labels: a batch's label distances and their sort keys, and,
// once NumPy's vectorised sort has sorted the keys, each row's far-to-near order with its tie groups.
//
// A key is a distance's bit pattern (non-negative floats order like their bits read as unsigned integers)
// with its lowest column_bits bits replaced by the column, so that 32-bit keys sort each row by distance
// up to those bits; keys that agree above them are settled from the full distances. group_count[r, i] is
// the number of items (two per label column, one in the anchor's own column) in the tie group that ends
// at far-to-near position i, and 0 inside a group, as label_ranking._group_counts computes it. Compiled
// without -ffast-math: the distances must equal label_ranking.label_distance's bit for bit.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

// insertion sort of (distance bits, column) pairs, ascending; linear on nearly sorted input
void insertion_pass(uint32_t* bits, uint32_t* columns, int64_t length) {
    for (int64_t i = 1; i < length; ++i) {
        const uint32_t b = bits[i], c = columns[i];
        // bitwise, not short-circuit: ties (equal bits) are common, and a branch on them mispredicts
        const bool in_order = (bits[i - 1] < b) | ((bits[i - 1] == b) & (columns[i - 1] < c));
        if (in_order) continue;
        int64_t j = i - 1;
        for (; j >= 0 && (bits[j] > b || (bits[j] == b && columns[j] > c)); --j) {
            bits[j + 1] = bits[j];
            columns[j + 1] = columns[j];
        }
        bits[j + 1] = b;
        columns[j + 1] = c;
    }
}

}  // namespace

extern "C" {

// Label distances of a batch, exactly as label_ranking.label_distance computes them (L1 over the columns,
// left to right; a circular column's values already reduced modulo the period, its gap g counting as
// min(g, period - g)), and their keys: the distance's bits with the lowest column_bits replaced by the
// column. Sorting those keys orders each row by distance up to its lowest column_bits bits, which
// emit_ranking_of_distances then settles from the full distances. labels_t: (width, size), a column of
// labels contiguous.
void distance_keys(const float* labels_t, int64_t size, int64_t width, const uint8_t* circular, float period,
                   int column_bits, float* distance, uint32_t* packed) {
    const uint32_t low = (uint32_t(1) << column_bits) - 1;
    for (int64_t r = 0; r < size; ++r) {
        float* __restrict__ row = distance + r * size;
        for (int64_t j = 0; j < size; ++j) row[j] = 0.0f;
        for (int64_t c = 0; c < width; ++c) {
            const float* __restrict__ column = labels_t + c * size;
            const float anchor = column[r];
            if (circular[c]) {
                for (int64_t j = 0; j < size; ++j) {
                    const float gap = std::fabs(anchor - column[j]), around = period - gap;
                    row[j] += around < gap ? around : gap;
                }
            } else {
                for (int64_t j = 0; j < size; ++j) row[j] += std::fabs(anchor - column[j]);
            }
        }
        uint32_t* __restrict__ keys = packed + r * size;
        for (int64_t j = 0; j < size; ++j) {
            uint32_t bits;
            std::memcpy(&bits, row + j, sizeof bits);
            keys[j] = (bits & ~low) | uint32_t(j);
        }
    }
}

// order and tie groups from rows of distance_keys sorted ascending: keys whose distances agree above the
// lowest column_bits bits are first put in the order of their full distances
void emit_ranking_of_distances(const uint32_t* sorted, const float* distance, int64_t size, int column_bits,
                               int32_t* order, float* group_count) {
    const uint32_t low = (uint32_t(1) << column_bits) - 1;
    std::vector<uint32_t> bits_of(size), columns_of(size);
    uint32_t* __restrict__ bits = bits_of.data();
    uint32_t* __restrict__ columns = columns_of.data();
    for (int64_t r = 0; r < size; ++r) {
        const uint32_t* __restrict__ keys = sorted + r * size;
        const uint32_t* __restrict__ row_bits = reinterpret_cast<const uint32_t*>(distance + r * size);
        for (int64_t j = 0; j < size; ++j) columns[j] = keys[j] & low;
        for (int64_t j = 0; j < size; ++j) bits[j] = row_bits[columns[j]];
        // the keys leave (distance, column) out of order only inside short runs of equal high bits, so one
        // insertion pass settles them; its comparison is almost never true, and then costs no more
        insertion_pass(bits, columns, size);
        int32_t* __restrict__ row_order = order + r * size;
        float* __restrict__ counts = group_count + r * size;
        // far to near; arithmetic in place of branches, which ties would make mispredict
        int32_t in_group = 0;
        for (int64_t i = 0; i < size; ++i) {
            const int64_t ascending = size - 1 - i;
            const int32_t column = int32_t(columns[ascending]);
            row_order[i] = column;
            in_group += 2 - int32_t(column == r);
            // all ones where the group goes on to the next position (a tie), else 0
            const int32_t continues = ascending > 0 ? -int32_t(bits[ascending - 1] == bits[ascending]) : 0;
            counts[i] = float(in_group & ~continues);
            in_group &= continues;
        }
    }
}

}
