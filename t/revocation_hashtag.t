#!/usr/bin/perl
# prefix={ticket}: (SPEC: a prefix holding a Redis Cluster hash tag keeps
# every key in one slot).  A gateway with "prefix={ticket}:" and ticketctl
# --prefix {ticket}: write and read every list and the stream; every key
# either names in a command (MONITOR on the server) and every key stored
# (KEYS) carries the prefix, and CLUSTER KEYSLOT (asked of a second,
# cluster-enabled server) puts them all in one slot.  In nginx.conf the
# parameter must be quoted: unquoted, "{" opens a block.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use TicketTest;
use RevTest;

plan(tests => 17);

my $P = '{ticket}:';

my $t = TicketTest->new;
my $c = TicketTest->new;     # cluster-enabled: only for CLUSTER KEYSLOT
my $k = $t->keygen('ES256', 'k1');
my $exp = int(time) + 1800;
my $port = $t->start_redis;
$c->start_redis(args => ['--cluster-enabled', 'yes',
                         '--cluster-config-file', $c->dir . '/nodes.conf',
                         '--cluster-port', $c->port('bus')]);

my ($rc, $out) = $t->nginx_test(rev_conf(
    redis => "127.0.0.1:%%PORT:redis%% prefix=$P"));
isnt($rc, 0, 'nginx -t: an unquoted prefix with braces is refused');

# every command the server runs, from here on
my $mon = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                Proto => 'tcp', Timeout => 5)
    or die "monitor: $!\n";
binmode $mon;
print $mon "*1\r\n\$7\r\nMONITOR\r\n";
my $first = <$mon>;
like($first, qr/^\+OK/, 'MONITOR');

$t->start(rev_conf(redis => "127.0.0.1:%%PORT:redis%% \"prefix=$P\""));

my %tk = (
    jti    => rev_mint($t, $k, sub => 'a', jti => 'hj', exp => $exp),
    sub    => rev_mint($t, $k, sub => 'b', jti => 'hb', iat => int(time) - 60),
    sid    => rev_mint($t, $k, sub => 'c', sid => 'dev1', jti => 'hc',
                       iat => int(time) - 60),
    tenant => rev_mint($t, $k, sub => 'd', tenant => 'acme', jti => 'hd',
                       iat => int(time) - 60),
);
my $V = rev_mint($t, $k, sub => 'v', jti => 'hv');
ok(rev_watch($t, $V, until => 200, limit => 10)->{reached},
   'valid ticket 200');

my @ctl = ('revoke', '--redis', "127.0.0.1:$port", '--prefix', $P);
my %args = (jti => ['--jti', 'hj', '--exp', $exp], sub => ['--sub', 'b'],
            sid => ['--sid', 'dev1'], tenant => ['--tenant', 'acme']);
for my $l (qw(jti sub sid tenant)) {
    my ($rc, $o, $e) = $t->ticketctl(@ctl, @{$args{$l}});
    is($rc, 0, "ticketctl revoke --$l with the prefix") or diag($e);
    my $w = rev_watch($t, $tk{$l}, until => 401, limit => 10);
    ok($w->{reached}, "the gateway refuses the $l revocation");
}

# kid last: it revokes every ticket of k1
$t->ticketctl(@ctl, '--kid', 'k9');
$t->ticketctl(@ctl, '--list');

$t->stop;

# the keys named in commands: each argument MONITOR shows that names one
my $text = '';
my $sel = IO::Select->new($mon);
while ($sel->can_read(1)) {
    my $n = sysread $mon, my $buf, 65536;
    last unless $n;
    $text .= $buf;
}
close $mon;

my (%named, %stray);
for my $line (split /\r\n/, $text) {
    my @a = $line =~ /"((?:[^"\\]|\\.)*)"/g;
    next unless @a;
    for my $arg (@a[1 .. $#a]) {
        $named{$arg} = 1 if index($arg, $P) == 0;
        $stray{$arg} = 1 if $arg =~ /^ticket:|revoked:|^events$/
                            && index($arg, $P) != 0;
    }
}
like($text, qr/"XREAD" .*"\Q${P}events\E"/,
     'the gateway follows the prefixed stream');

my $stored = $t->redis_cmd('KEYS', '*');
$named{$_} = 1 for @$stored;

ok(scalar(grep { /revoked:(jti|sub|sid|tenant|kid)$/ } keys %named) == 5
   && $named{"${P}events"}, 'every list and the stream were used')
    or diag(explain([sort keys %named]));
is_deeply([sort keys %stray], [], 'no key without the prefix');
is_deeply([grep { index($_, $P) != 0 } @$stored], [],
          'every stored key has the prefix');

my %slots = map { $c->redis_cmd('CLUSTER', 'KEYSLOT', $_) => 1 }
            keys %named;
is(scalar(keys %slots), 1, 'one slot for the ' . scalar(keys %named)
                           . ' keys: ' . join(',', keys %slots));

$t->done;
$c->stop_redis;
