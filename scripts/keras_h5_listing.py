#!/usr/bin/python3
"""The HDF5 tree of a Keras weights file, one line per group or dataset, as h5py sees it.

Usage: /usr/bin/python3 scripts/keras_h5_listing.py FILE(.keras|.h5) > listing.txt
A .keras zip is read in memory (its model.weights.h5). The optimizer's state (/optimizer) is left
out: a model saved without compiling has none. Made test/fixtures/keras3_bilstm_tree.txt from
../shared/keras_files/k3_bilstm_cristian/bilstm_model.keras (Keras 3.8.0) and test/fixtures/keras3_functional_bigru_tree.txt from
../shared/keras_files/k3_functional_bigru_kush/bigru_classifier.keras (Keras 3.13.2), with
python3-h5py 3.7 (Debian). test/keras_save.test.ts lists the files saveKerasModel writes the same way.
"""
import io
import sys
import zipfile

import h5py


def attrs(obj):
    return ' '.join(f'{k}={v.decode() if isinstance(v, bytes) else v}' for k, v in sorted(obj.attrs.items()))


def main(path):
    if zipfile.is_zipfile(path):
        data = io.BytesIO(zipfile.ZipFile(path).read('model.weights.h5'))
    else:
        data = path
    with h5py.File(data, 'r') as f:
        lines = []

        def visit(name, obj):
            if name == 'optimizer' or name.startswith('optimizer/'):
                return
            if isinstance(obj, h5py.Group):
                lines.append(f'G /{name} {attrs(obj)}'.rstrip())
            else:
                lines.append(f'D /{name} {list(obj.shape)} {obj.dtype}')

        lines.append(f'G / {attrs(f)}'.rstrip())
        f.visititems(visit)
        print('\n'.join(sorted(lines)))


if __name__ == '__main__':
    main(sys.argv[1])
