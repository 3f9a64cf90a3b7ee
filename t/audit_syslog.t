#!/usr/bin/perl
# ticket_audit_log syslog:...: one record a message, nginx's syslog header
# (<PRI> with the facility and severity configured, the tag) then exactly
# one JSON object, no trailing newline; one message per recorded request.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use JSON::PP;
use IO::Select;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

# the receiver, on a port the harness keeps for this test
my $udp = $t->udp_listener('syslog');
setsockopt($udp, SOL_SOCKET, SO_RCVBUF, 4 * 1024 * 1024);

$t->start(<<'EOF');
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_audit_log syslog:server=127.0.0.1:%%PORT:syslog%%,tag=ticketaudit,facility=local3;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /api/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /admin/ {
            ticket user;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /notice/ {
            ticket user;
            ticket_audit_log syslog:server=127.0.0.1:%%PORT:syslog%%,tag=tn,facility=local3,severity=notice;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /off/ {
            ticket user;
            ticket_audit_log off;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /s {
            ticket_status;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\n";
        }
    }
EOF

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user', roles => 'reader');
my $evil = $t->mint(key => $k->{key}, kid => 'k1', kind => 'user',
                    sub => qq{a"b\n{"event":"allowed"}\x01},
                    roles => 'reader');

my @msgs;
sub receive {
    my ($n, $timeout) = @_;
    my $sel = IO::Select->new($udp);
    my $end = time + $timeout;
    while (@msgs < $n) {
        my $left = $end - time;
        last if $left <= 0;
        last unless $sel->can_read($left);
        my $buf;
        $udp->recv($buf, 65536);
        push @msgs, $buf if defined $buf;
    }
    return scalar @msgs;
}

my (%expect, $n);
sub req {
    my ($uri, $tk, $status, $record) = @_;
    my $r = $t->get($uri, defined $tk ? (ticket => $tk) : ());
    is($r->{status}, $status, "$uri: $status");
    if ($record) { $expect{$uri} = $record; $n++ }
}

req('/api/missing-1', undef, 401, 'denied/missing');
req('/api/allowed', $good, 200, undef);
req('/admin/role-1', $good, 403, 'over_privilege/insufficient_role');
req('/api/evil', $evil, 200, undef);
req('/admin/evil', $evil, 403, 'over_privilege/insufficient_role');
req('/off/missing', undef, 401, undef);
for my $i (1 .. 20) {
    req("/api/missing-b$i", undef, 401, 'denied/missing');
}
req('/notice/missing', undef, 401, 'denied/missing');

is(receive($n, 5), $n, "$n messages for $n recorded requests");

# the counter counts sent messages
my $s = $t->get('/s');
my ($records) = $s->{body} =~ /^ticket_audit_records_total (\d+)$/m;
is($records, $n, 'ticket_audit_records_total counts syslog records');

$t->stop;
receive($n + 1, 0.2);                 # anything more? (no fixed sleep:
                                      # nginx is stopped, the socket drains)
is(scalar @msgs, $n, 'no extra message');

my $json = JSON::PP->new->utf8;
my %seen;
my $hdr_ok = 1;
for my $m (@msgs) {
    my ($pri, $tag, $body) = $m =~
        /^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (\w+): (.*)\z/s
        or do { $hdr_ok = 0; diag("bad header: $m"); next };
    my $rec = eval { $json->decode($body) };
    ok($rec && ref $rec eq 'HASH', 'message body is one JSON object')
        or diag("$@: $body");
    ok($body !~ /\n/ && $body =~ /\}\z/,
       'one line, no trailing newline') or diag($body);
    next unless $rec;
    my $uri = $rec->{uri} // '';
    $seen{$uri}++;
    my $want_pri = 19 * 8 + ($uri eq '/notice/missing' ? 5 : 6);
    is($pri, $want_pri, "$uri: <PRI> local3."
       . ($want_pri % 8 == 5 ? 'notice' : 'info (nginx default)'));
    is($tag, $uri eq '/notice/missing' ? 'tn' : 'ticketaudit', "$uri: tag");
    is("$rec->{event}/$rec->{reason}", $expect{$uri} // 'none',
       "$uri: event and reason");
    is($rec->{sub}, qq{a"b\n{"event":"allowed"}\x01}, "$uri: escaped sub")
        if $uri eq '/admin/evil';
}
ok($hdr_ok, 'every message starts with a syslog header');
is_deeply(\%seen, { map { $_ => 1 } keys %expect },
          'one message per recorded request, none for the others');

$t->done;
done_testing();
