#!/usr/bin/env python3
# bench/workers-kill.py: what kill -9 of a worker does to UDP sessions
# (process.workers: 2, on loopback).  64 clients each send a datagram
# every ~20 ms through mioproxy to a backend that answers with the
# source port it saw (the session's); 2 s in, worker 0 is killed.  It
# prints, for the other worker's clients, how many saw their session
# change (moved) and their longest wait, and for the killed worker's
# clients, how many got a new session, on which process, and their
# longest wait (the restart).  MIOPROXY names the binary (default:
# build/daemon/mioproxy next to bench/).
import socket, time, os, subprocess, signal, select, sys, tempfile, shutil
B=os.environ.get("MIOPROXY", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "daemon", "mioproxy"))
be=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); be.bind(("127.0.0.1",0)); bport=be.getsockname()[1]; be.setblocking(False)
tmp=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); tmp.bind(("127.0.0.1",0)); port=tmp.getsockname()[1]; tmp.close()
conf=tempfile.mkdtemp(prefix="mioproxy-kill-")
open(conf+"/k.yaml","w").write("""version: 1
process: { workers: 2 }
logging: { level: warn }
listeners:
  - { name: u, protocol: udp, bind: 127.0.0.1:%d, upstream: e }
upstreams:
  e: { servers: [ { address: 127.0.0.1:%d } ] }
""" % (port, bport))
p=subprocess.Popen([B,"-c",conf+"/k.yaml"],stderr=open(conf+"/k.log","w"))
time.sleep(1)
kids=[int(x) for x in open("/proc/%d/task/%d/children"%(p.pid,p.pid)).read().split()]
N=64
cl=[]
for i in range(N):
    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); s.setblocking(False); cl.append(s)
def inode_of_udp_port(pt):
    for line in open("/proc/net/udp").readlines()[1:]:
        f=line.split()
        if int(f[1].split(":")[1],16)==pt: return f[9]
def owner(pt):
    ino=inode_of_udp_port(pt)
    for k in kids+newkids:
        try:
            for fd in os.listdir("/proc/%d/fd"%k):
                try:
                    if os.readlink("/proc/%d/fd/%s"%(k,fd))=="socket:[%s]"%ino: return k
                except OSError: pass
        except OSError: pass
newkids=[]
last_ok=[0.0]*N; lastport=[0]*N; gap=[0.0]*N; ports=[set() for i in range(N)]; first_owner=[None]*N
t_end=time.time()+6; killed=False; t_kill=0
sent=0; got=0
while time.time()<t_end:
    now=time.time()
    if not killed and now>t_end-4:
        os.kill(kids[0],signal.SIGKILL); killed=True; t_kill=now
    for i,s in enumerate(cl):
        s.sendto(b"q%d"%i,("127.0.0.1",port)); sent+=1
    # backend echoes with the upstream port
    t0=time.time()
    while time.time()-t0<0.02:
        r,_,_=select.select([be]+cl,[],[],0.005)
        for x in r:
            if x is be:
                while True:
                    try: d,a=be.recvfrom(100)
                    except BlockingIOError: break
                    be.sendto(b"%d "%a[1]+d,a)
            else:
                try: d=x.recv(100)
                except BlockingIOError: continue
                i=cl.index(x); got+=1
                up=int(d.split()[0]); ports[i].add(up); lastport[i]=up
                t=time.time()
                if last_ok[i] and t-last_ok[i]>gap[i]: gap[i]=t-last_ok[i]
                last_ok[i]=t
                if first_owner[i] is None: first_owner[i]=owner(up)
    if killed and not newkids:
        try: newkids=[int(x) for x in open("/proc/%d/task/%d/children"%(p.pid,p.pid)).read().split() if int(x) not in kids]
        except Exception: pass
dead=kids[0]; surv=kids[1]
a=[i for i in range(N) if first_owner[i]==dead]; b=[i for i in range(N) if first_owner[i]==surv]
print("clients: %d on the killed worker, %d on the other; sent %d, answered %d"%(len(a),len(b),sent,got))
print("other worker's clients: upstream ports changed for %d, longest gap %.0f ms"%(sum(1 for i in b if len(ports[i])>1), 1000*max(gap[i] for i in b)))
print("killed worker's clients: new session for %d, longest gap %.0f ms (restart)"%(sum(1 for i in a if len(ports[i])==2), 1000*max(gap[i] for i in a)))
newowners=set(owner(lastport[i]) for i in a)
print("their new sessions' owners:", newowners, "new worker:", newkids, "other:", surv)
p.send_signal(signal.SIGTERM); p.wait()
print(open(conf+"/k.log").read())
shutil.rmtree(conf)
