#!/usr/bin/perl
# ticket_audit_format ocsf on a syslog target (issue 18; t/audit_formats.t
# has ECS on syslog): each message is nginx's syslog header and then
# exactly one OCSF document, no newline, every attribute its class's
# (t/lib/AuditSchema.pm, the check of t/audit_formats.t), with the same
# facts as the document the same request writes to a file target; an
# alert record travels the same way.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use AuditSchema qw(ocsf_problems);
use JSON::PP;
use IO::Select;
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $d = $t->dir;
my $k = $t->keygen('ES256', 'k1');

my $udp = $t->udp_listener('syslog');

my %target = (file => '%%DIR%%/logs/ocsf.jsonl',
              syslog => 'syslog:server=127.0.0.1:%%PORT:syslog%%,tag=to');
my $conf = '';
for my $f (qw(file syslog)) {
    $conf .= <<"EOF";
        location /$f/ {
            ticket user;
            ticket_audit_format ocsf;
            ticket_audit_log $target{$f};
            ticket_audit_events denied over_privilege excess_privilege allowed;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /$f/admin/ {
            ticket user;
            ticket_require_role admin;
            ticket_audit_format ocsf;
            ticket_audit_log $target{$f};
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /$f/alert/ {
            ticket user;
            ticket_require_role admin;
            ticket_audit_format ocsf;
            ticket_audit_log $target{$f};
            ticket_alert over_privilege 2/1h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
EOF
}

$t->start(<<"EOF");
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_audit_gateway gw-sys;
    ticket_privileged_roles admin;

    server {
        listen 127.0.0.1:%%PORT%%;
$conf
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\\n";
        }
    }
EOF

my $iat = int(time);   # one iat and exp for the tickets minted per target
my %mint = (key => $k->{key}, kid => 'k1', kind => 'user');
my $reader = $t->mint(%mint, sub => 'alice', tenant => 'acme',
                      roles => 'reader', sid => 'dev-1',
                      iss => 'https://idp.example');
my $admin = $t->mint(%mint, sub => 'root', roles => 'admin,reader');
# a forged ticket each time: a second presentation would come from the
# failed-signature cache, whose records hold no claims
sub forged {
    my $tk = $t->mint(%mint, sub => 'alice', tenant => 'acme',
                      roles => 'reader', jti => 'j-forged',
                      iat => $iat, exp => $iat + 600);
    substr($tk, -5, 1) = substr($tk, -5, 1) eq 'A' ? 'B' : 'A';
    return $tk;
}

my @reqs = (['x-denied', undef, 401], ['x-allowed', $reader, 200],
            ['admin/x-over', $reader, 403], ['x-excess', $admin, 200],
            ['x-missing', undef, 401]);
for my $f (qw(file syslog)) {
    $reqs[0][1] = forged();
    for my $r (@reqs) {
        my ($path, $tk, $st) = @$r;
        is($t->get("/$f/$path", defined $tk ? (ticket => $tk) : ())->{status},
           $st, "$f: /$path $st");
    }
    # an alert: each target's own subject, the counter being the gateway's
    my $m = $t->mint(%mint, sub => "mallory-$f", tenant => q{acme},
                     roles => q{reader}, jti => q{j-mallory},
                     iat => $iat, exp => $iat + 600);
    is($t->get("/$f/alert/x-$_", ticket => $m)->{status}, 403,
       "$f: /alert/x-$_ 403") for 1 .. 2;
}

# 5 requests, 2 refusals, 1 alert: 8 messages
my $sel = IO::Select->new($udp);
my @msgs;
my $end = time + 15;
while (@msgs < 8 && time < $end) {
    next unless $sel->can_read(0.5);
    my $m = '';
    $udp->recv($m, 65536);
    push @msgs, $m;
}
$t->stop;
is(scalar(@msgs), 8, 'syslog: one message a record');
my $more = '';
$udp->recv($more, 65536) if $sel->can_read(0.5);
is($more, '', 'syslog: no more');

my $json = JSON::PP->new;
my (@sdocs, @bad);
for my $m (@msgs) {
    # <PRI>Mmm dd hh:mm:ss HOST tag: then the document, no newline
    my ($body) = $m =~ /^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ to: (.*)\z/s;
    my $doc = defined $body && $body !~ /\n/
              ? eval { $json->decode($body) } : undef;
    if (ref $doc eq 'HASH') { push @sdocs, $doc } else { push @bad, $m }
}
ok(!@bad && @sdocs == @msgs,
   'syslog: each message the header and one OCSF document, no newline')
    or diag(join "\n", @bad);

my @fdocs = $t->records('ocsf.jsonl');
is(scalar(@fdocs), 8, 'file: one line a record');

# the same request's documents, by its path under /file/ or /syslog/, and
# the alert apart (its request's path too)
sub by_path {
    my %by;
    for my $doc (@_) {
        (my $p = $doc->{http_request}{url}{path}) =~ s{^/\w+/}{/};
        $p = "alert $p" if ($doc->{unmapped}{event} // '') eq 'alert';
        $by{$p} = $doc;
    }
    return \%by;
}
my $F = by_path(@fdocs);
my $S = by_path(@sdocs);
is_deeply([sort keys %$S], [sort keys %$F],
          'syslog and file: the same records') or diag(join ' ', sort keys %$S);

# what may differ between two requests' documents: the time, the request
# id, the seq, the path's first segment; the alert's subject and ticket,
# and the forged ticket (a fresh one each time)
sub facts {
    my ($doc) = @_;
    my $x = $json->decode($json->encode($doc));
    delete $x->{time};
    delete @{$x->{metadata}}{qw(uid sequence)};
    delete $x->{http_request}{uid};
    delete $x->{api}{request}{uid} if $x->{api};
    delete $x->{unmapped}{seq};
    delete $x->{unmapped}{token_fp}
        if $x->{http_request}{url}{path} =~ m{^/\w+/(?:alert/|x-denied)};
    $x->{http_request}{url}{path} =~ s{^/\w+/}{/};
    for my $u ($x->{user}, $x->{actor} ? $x->{actor}{user} : ()) {
        $u->{uid} =~ s/^mallory-\w+$/mallory/ if defined $u && $u->{uid};
    }
    return $x;
}

for my $p (sort keys %$F) {
    my ($f, $s) = ($F->{$p}, $S->{$p} // {});
    my @sb = ocsf_problems($s);
    ok(!@sb, "syslog $p: every attribute is the class's, with its type")
        or diag(join "\n", @sb);
    is_deeply(facts($s), facts($f), "syslog $p: the file document's facts");
    ok($s->{metadata}{sequence} =~ /^\d+$/
       && $s->{metadata}{sequence} == $s->{unmapped}{seq}
       && $s->{unmapped}{writer} eq $f->{unmapped}{writer}
       && $s->{time} =~ /^\d{13}$/,
       "syslog $p: its own seq and time, the same writer");
}

my $al = $S->{'alert /alert/x-2'} // {};
ok(($al->{status_detail} // '') eq 'over_privilege_burst'
   && $al->{actor}{user}{uid} eq 'mallory-syslog'
   && $al->{unmapped}{count} == 2 && $al->{unmapped}{window} == 3600,
   'syslog: the alert document, its rule, subject, count and window')
    or diag($json->encode($al));

# the writer's seq runs over both targets: no gap when put together
my %seq = map { $_->{metadata}{sequence} => 1 } @fdocs, @sdocs;
my @s = sort { $a <=> $b } keys %seq;
ok(@s == 16 && $s[-1] - $s[0] == 15, 'seq: one run over file and syslog')
    or diag("@s");

$t->done;
done_testing();
