#!/usr/bin/env bash
# Downloads the real datasets for users who are online, verifies them, and unpacks them under data/.
#   data/fetch.sh fashion-mnist | mnist | cifar10 | cifar10-py | cicids2017   [DEST]
# Checksums are the ones the datasets publish (MD5). CICIDS2017 publishes none we can pin: it is
# verified by structure and its known row count (2,830,743 rows in the 8 MachineLearningCVE CSVs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:-}
dest=${2:-$here/$name}

fetch() { # url md5 file
  local url=$1 sum=$2 file=$3
  if [ -f "$file" ] && [ -n "$sum" ] && echo "$sum  $file" | md5sum -c --status; then echo "fetch: $file already verified"; return; fi
  echo "fetch: $url"
  curl -fL --retry 3 -o "$file.part" "$url"
  if [ -n "$sum" ] && ! echo "$sum  $file.part" | md5sum -c --status; then
    echo "fetch: checksum mismatch for $url (expected md5 $sum); nothing kept" >&2; rm -f "$file.part"; exit 1
  fi
  mv "$file.part" "$file"
}

mkdir -p "$dest"
case "$name" in
  fashion-mnist)
    base=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
    fetch $base/train-images-idx3-ubyte.gz 8d4fb7e6c68d591d4c3dfef9ec88bf0d "$dest/train-images-idx3-ubyte.gz"
    fetch $base/train-labels-idx1-ubyte.gz 25c81989df183df01b3e8a0aad5dffbe "$dest/train-labels-idx1-ubyte.gz"
    fetch $base/t10k-images-idx3-ubyte.gz bef4ecab320f06d8554ea6380940ec79 "$dest/t10k-images-idx3-ubyte.gz"
    fetch $base/t10k-labels-idx1-ubyte.gz bb300cfdad3c16e7a12a480ee83cd310 "$dest/t10k-labels-idx1-ubyte.gz" ;;
  mnist)
    base=https://ossci-datasets.s3.amazonaws.com/mnist
    fetch $base/train-images-idx3-ubyte.gz f68b3c2dcbeaaa9fbdd348bbdeb94873 "$dest/train-images-idx3-ubyte.gz"
    fetch $base/train-labels-idx1-ubyte.gz d53e105ee54ea40749a09fcbcd1e9432 "$dest/train-labels-idx1-ubyte.gz"
    fetch $base/t10k-images-idx3-ubyte.gz 9fb629c4189551a2d022fa330f9573f3 "$dest/t10k-images-idx3-ubyte.gz"
    fetch $base/t10k-labels-idx1-ubyte.gz ec29112dd5afa0611ce80d1b7f02629c "$dest/t10k-labels-idx1-ubyte.gz" ;;
  cifar10)
    fetch https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz c32a1d4ab5d03f1284b67883e8d87530 "$dest/cifar-10-binary.tar.gz"
    tar -xzf "$dest/cifar-10-binary.tar.gz" -C "$dest" ;;
  cifar10-py)
    fetch https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz c58f30108f718f92721af3b95e74349a "$dest/cifar-10-python.tar.gz"
    tar -xzf "$dest/cifar-10-python.tar.gz" -C "$dest" ;;
  cicids2017)
    fetch http://205.174.165.80/CICDataset/CIC-IDS-2017/Dataset/MachineLearningCSV.zip "" "$dest/MachineLearningCSV.zip"
    (cd "$dest" && unzip -oq MachineLearningCSV.zip)
    csvdir=$(dirname "$(find "$dest" -name 'Monday-WorkingHours.pcap_ISCX.csv' | head -n 1)")
    rows=$(node "$here/../build/lib/cli/main.js" data inspect "$csvdir" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).cleaning.rawRows))')
    [ "$rows" = 2830743 ] || { echo "fetch: expected 2830743 rows in $csvdir, read $rows" >&2; exit 1; }
    echo "fetch: CICIDS2017 verified ($rows rows) in $csvdir" ;;
  *) echo "usage: data/fetch.sh fashion-mnist|mnist|cifar10|cifar10-py|cicids2017 [DEST]" >&2; exit 2 ;;
esac
echo "fetch: $name ready in $dest"
