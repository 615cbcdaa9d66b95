"""Stand-in for the PyPI package `iterators`, which Flower 1.4's gRPC server imports.

Only what Flower uses: TimeoutIterator(iterator, reset_on_next=True) with set_timeout(),
get_sentinel(), interrupt() and next() returning the sentinel when the timeout passes.
Written for edgelab's interoperability tests (Debian has no package of it).
"""
import queue
import threading

_END = object()


class TimeoutIterator:
    def __init__(self, iterator, timeout=0.0, sentinel=object(), reset_on_next=False):
        self._timeout = timeout or None
        self._sentinel = sentinel
        self._queue = queue.Queue()
        self._done = False
        threading.Thread(target=self._pump, args=(iterator,), daemon=True).start()

    def _pump(self, iterator):
        try:
            for item in iterator:
                self._queue.put(item)
        except Exception as err:  # the stream broke: surface it on the consumer's side
            self._queue.put(err)
        self._queue.put(_END)

    def set_timeout(self, timeout):
        self._timeout = timeout or None

    def get_sentinel(self):
        return self._sentinel

    def interrupt(self):
        self._done = True
        self._queue.put(_END)

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            item = self._queue.get(timeout=self._timeout)
        except queue.Empty:
            return self._sentinel
        if item is _END:
            self._done = True
            raise StopIteration
        if isinstance(item, Exception):
            self._done = True
            raise item
        return item
