# Buckets a `perf script` dump of the invoker by the first matching part of each sample's stack (docs/performance.md).
# usage: python3 bench/profile/categories.py SCRIPT.txt
import re,collections,sys
stacks=[];cur=[]
for line in open(sys.argv[1]):
    if not line.strip():
        if cur: stacks.append(cur); cur=[]
        continue
    if line[0] not in ' \t': cur=[]; continue
    parts=line.strip().split(None,1)
    if len(parts)==2: cur.append(parts[1])
if cur: stacks.append(cur)
cats=[
 ('sqlite write (queue enqueue)', r'ActivationQueue___c___EnqueueAsync'),
 ('sqlite write (queue delete)', r'ActivationQueue___c___DeleteAsync|DeleteBelow'),
 ('sqlite write (record insert)', r'SqliteActivationStore___c___TryStoreAsync'),
 ('sqlite read (action get)', r'SqliteActionStore__Get'),
 ('sqlite read (queue take)', r'TakeAsync'),
 ('sqlite other', r'sqlite|Sqlite'),
 ('thread pool idle spin/yield/wait', r'Thread__Yield|SpinWait|LowLevelLifoSemaphore|LowLevelSpinWaiter|WaitForSignal'),
 ('socket engine epoll', r'SocketAsyncEngine__EventLoop'),
 ('process log pipes', r'PipeStream|ProcessContainer__Pump|ActivationLogCollector'),
 ('action client /run (Http1)', r'Http1|ActionClient'),
 ('kestrel request/response', r'Kestrel|AspNetCore'),
 ('invoke endpoint', r'InvokeEndpoint|StandaloneApi|NamespaceKeys'),
 ('json', r'Json'),
 ('timers', r'TimerQueue'),
 ('pool/feed/invoker', r'Perf_Invoker'),
 ('GC', r'gc_heap|WKS|SVR|Gc|RhpGc|GarbageCollect'),
]
cats=[(n,re.compile(p)) for n,p in cats]
c=collections.Counter()
for st in stacks:
    j=' '.join(st)
    for n,p in cats:
        if p.search(j): c[n]+=1; break
    else: c['other: '+(st[0].split('+')[0] if st else '?')]+=1
tot=len(stacks)
for k,v in c.most_common(30): print(f"{100*v/tot:5.1f}% {k}")
