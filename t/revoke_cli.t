#!/usr/bin/perl

# ticketctl revoke against a real redis-server: every form writes the
# SPEC's key, type, member and value and its stream entry in one
# transaction; --list; WRONGTYPE writes nothing; AUTH, --db, --prefix;
# pruning of the jti set; connection, usage errors and help.  No nginx.
#
#   TICKET_BUILD=build prove -v t/revoke_cli.t

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IO::Socket::INET;
use JSON::PP;
use TicketTest;

plan(tests => 137);

my $t = TicketTest->new;
my $port = $t->start_redis;
my $addr = "127.0.0.1:$port";


# ---- a tiny RESP client: one connection a call, AUTH and SELECT as asked --

sub resp_read {
    my ($s) = @_;
    my $line = <$s>;
    die "redis: connection closed\n" unless defined $line;
    $line =~ s/\r\n\z//;
    my ($type, $rest) = (substr($line, 0, 1), substr($line, 1));
    return $rest if $type eq '+' || $type eq ':';
    return { error => $rest } if $type eq '-';
    if ($type eq '$') {
        return undef if $rest < 0;
        my $buf = '';
        while (length($buf) < $rest + 2) {
            my $n = read($s, $buf, $rest + 2 - length($buf), length($buf));
            die "redis: short read\n" unless $n;
        }
        return substr($buf, 0, $rest);
    }
    if ($type eq '*') {
        return undef if $rest < 0;
        return [ map { resp_read($s) } 1 .. $rest ];
    }
    die "redis: bad reply line '$line'\n";
}

# rcmd({ port => P, auth => PW, db => N }, CMD, ARGS...) or rcmd(CMD, ...)
sub rcmd {
    my $o = ref $_[0] eq 'HASH' ? shift : {};
    my $p = $o->{port} // $port;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p",
                                  Proto => 'tcp', Timeout => 5)
        or die "redis connect 127.0.0.1:$p: $!\n";
    binmode $s;
    my @cmds;
    push @cmds, ['AUTH', $o->{auth}] if defined $o->{auth};
    push @cmds, ['SELECT', $o->{db}] if defined $o->{db};
    push @cmds, [@_];
    my $r;
    for my $c (@cmds) {
        my $req = '*' . scalar(@$c) . "\r\n";
        $req .= '$' . length($_) . "\r\n$_\r\n" for @$c;
        print $s $req;
        $r = resp_read($s);
    }
    close $s;
    return $r;
}

sub revoke { $t->ticketctl('revoke', '--redis', $addr, @_) }

# the stream's entries: [ [id, { field => value }, [field order]], ... ]
sub events {
    my ($o, $key) = ref $_[0] eq 'HASH' ? @_ : ({}, @_);
    my $r = rcmd($o, 'XRANGE', $key // 'ticket:events', '-', '+');
    return [ map {
        my ($id, $f) = @$_;
        my %h = @$f;
        my @order = @$f[grep { $_ % 2 == 0 } 0 .. $#$f];
        [ $id, \%h, \@order ]
    } @$r ];
}

sub last_event { my $e = events(@_); return $e->[-1] }

my $now = time;


# ---- help and usage errors ----------------------------------------------

{
    my ($rc, $out, $err) = $t->ticketctl('revoke', '--help');
    is($rc, 0, '--help: exit 0');
    like($out, qr/^Usage: ticketctl revoke --redis ADDR/,
         '--help: usage on stdout');
    is($err, '', '--help: nothing on stderr');
}

for my $case (
    [ 'two targets', '--sub', 'alice', '--sid', 'd1' ],
    [ 'jti and kid', '--jti', 'j', '--exp', '100', '--kid', 'k' ],
    [ 'no target' ],
    [ '--jti without --exp', '--jti', 'j1' ],
    [ '--exp without --jti', '--sub', 's', '--exp', '100' ],
    [ 'tenant with "/"', '--tenant', 'a/b' ],
    [ 'sub of a tenant with "/"', '--sub', 's', '--tenant', 'a/b' ],
    [ 'empty sub', '--sub', '' ],
    [ 'empty kid', '--kid', '' ],
    [ 'jti twice', '--jti', 'a', '--jti', 'b', '--exp', '100' ],
    [ '--at with --kid', '--kid', 'k', '--at', '100' ],
    [ 'bad --exp', '--jti', 'j', '--exp', 'tomorrow' ],
    [ '--exp in the past', '--jti', 'j', '--exp', '-10m' ],
    [ 'bad --db', '--db', 'x', '--kid', 'k' ],
    [ 'unknown option', '--kid', 'k', '--bogus' ],
    [ '--list with a target', '--list', '--kid', 'k' ],
    [ '--json without --list', '--json', '--kid', 'k' ],
) {
    my ($name, @args) = @$case;
    my ($rc, $out, $err) = revoke(@args);
    is($rc, 2, "usage: $name: exit 2");
    like($err, qr/\Aticketctl: revoke: [^\n]+\n\z/,
         "usage: $name: one line on stderr") or diag($err);
}

{
    my ($rc, $out, $err) = $t->ticketctl('revoke', '--kid', 'k');
    ok($rc == 2 && $err =~ /missing --redis/, 'usage: missing --redis');
}

is(rcmd('EXISTS', 'ticket:events'), 0, 'usage errors wrote nothing');


# ---- each form: key, type, member, value, stream entry -------------------

{
    my $exp = $now + 600;
    my ($rc, $out, $err) = revoke('--jti', 'j-1', '--exp', $exp,
                                  '--reason', 'stolen laptop',
                                  '--actor', 'soc-alice');
    is($rc, 0, 'jti: exit 0') or diag($err);
    like($out, qr/\Arevoked jti "j-1" exp $exp \(event (\d+-\d+)\)\n\z/,
         'jti: one line with the event id');
    my ($id) = $out =~ /event (\d+-\d+)/;
    is(rcmd('TYPE', 'ticket:revoked:jti'), 'zset', 'jti: a sorted set');
    is(rcmd('ZSCORE', 'ticket:revoked:jti', 'j-1'), $exp,
       'jti: score is the exp');
    my $e = last_event();
    is($e->[0], $id, 'jti: the printed id is the entry');
    is_deeply($e->[1], { op => 'revoke', list => 'jti', member => 'j-1',
                         value => $exp, reason => 'stolen laptop',
                         actor => 'soc-alice' },
              'jti: the entry has exactly the SPEC fields, reason, actor');
    is_deeply($e->[2], [qw(op list member value reason actor)],
              'jti: fields in the SPEC order');
}

{
    my ($rc, $out, $err) = revoke('--jti', 'j-2', '--exp',
                                  '2100-01-01T00:00:00Z');
    is($rc, 0, 'jti: --exp as RFC 3339');
    is(rcmd('ZSCORE', 'ticket:revoked:jti', 'j-2'), 4102444800,
       'jti: RFC 3339 exp stored as unix seconds');
}

{
    local $ENV{USER} = 'opuser';
    my ($rc, $out, $err) = revoke('--sub', 'alice', '--tenant', 'acme');
    is($rc, 0, 'sub with tenant: exit 0') or diag($err);
    my ($at) = $out
        =~ /\Arevoked sub "acme\/alice" at (\d+) \(event \d+-\d+\)\n\z/;
    ok(defined $at && abs($at - $now) < 60, 'sub: cut-off is now')
        or diag($out);
    is(rcmd('TYPE', 'ticket:revoked:sub'), 'hash', 'sub: a hash');
    is(rcmd('HGET', 'ticket:revoked:sub', 'acme/alice'), $at,
       'sub: field TENANT/SUB, value the cut-off');
    is_deeply(last_event()->[1],
              { op => 'revoke', list => 'sub', member => 'acme/alice',
                value => $at, actor => 'opuser' },
              'sub: the entry; actor from $USER, no reason field');
}

{
    my ($rc, $out, $err) = revoke('--sub', 'bob', '--at', '1700000000');
    is($rc, 0, 'sub without tenant: exit 0');
    is($out =~ /^revoked sub "\/bob" at 1700000000 /, 1,
       'sub without tenant: field "/SUB", --at');
    is(rcmd('HGET', 'ticket:revoked:sub', '/bob'), 1700000000,
       'sub without tenant: stored under "/bob"');
    is(last_event()->[1]{member}, '/bob', 'sub without tenant: member');
}

{
    local $ENV{USER};
    delete $ENV{USER};
    my ($rc, $out, $err) = revoke('--sid', 'phone-7', '--at', '1700000100');
    is($rc, 0, 'sid: exit 0');
    is(rcmd('TYPE', 'ticket:revoked:sid'), 'hash', 'sid: a hash');
    is(rcmd('HGET', 'ticket:revoked:sid', 'phone-7'), 1700000100,
       'sid: field and cut-off');
    is_deeply(last_event()->[1],
              { op => 'revoke', list => 'sid', member => 'phone-7',
                value => 1700000100, actor => 'ticketctl' },
              'sid: the entry; actor "ticketctl" without $USER');
}

{
    my ($rc, $out, $err) = revoke('--tenant', 'globex', '--at',
                                  '1700000200', '--reason', 'contract ended');
    is($rc, 0, 'tenant: exit 0');
    is(rcmd('TYPE', 'ticket:revoked:tenant'), 'hash', 'tenant: a hash');
    is(rcmd('HGET', 'ticket:revoked:tenant', 'globex'), 1700000200,
       'tenant: field and cut-off');
    my $e = last_event()->[1];
    ok($e->{list} eq 'tenant' && $e->{member} eq 'globex'
       && $e->{value} == 1700000200 && $e->{reason} eq 'contract ended',
       'tenant: the entry');
}

{
    my ($rc, $out, $err) = revoke('--kid', 'k-2024');
    is($rc, 0, 'kid: exit 0');
    like($out, qr/\Arevoked kid "k-2024" \(event \d+-\d+\)\n\z/,
         'kid: one line, no time');
    is(rcmd('TYPE', 'ticket:revoked:kid'), 'set', 'kid: a set');
    is(rcmd('SISMEMBER', 'ticket:revoked:kid', 'k-2024'), 1, 'kid: member');
    my $e = last_event();
    ok(!exists $e->[1]{value}, 'kid: no value field');
    is_deeply($e->[2], [qw(op list member actor)], 'kid: fields');
}

{
    # a cut-off never moves back: that would un-revoke tickets
    my ($rc, $out, $err) = revoke('--sid', 'phone-7', '--at', '1600000000');
    is($rc, 0, 'earlier cut-off: exit 0');
    like($err, qr/warning: .*kept/, 'earlier cut-off: warned');
    is(rcmd('HGET', 'ticket:revoked:sid', 'phone-7'), 1700000100,
       'earlier cut-off: the later one kept');
    is(last_event()->[1]{value}, 1700000100,
       'earlier cut-off: the entry says what is stored');
}

is(rcmd('XLEN', 'ticket:events'), 8, 'one stream entry per write');


# ---- pruning -------------------------------------------------------------

rcmd('ZADD', 'ticket:revoked:jti', $now - 7200, 'old-jti');
rcmd('ZADD', 'ticket:revoked:jti', $now - 60, 'recent-jti');

{
    my ($rc, $out, $err) = revoke('--kid', 'k-prune');
    is($rc, 0, 'prune: a write');
    like($out, qr/1 expired jti pruned/, 'prune: said');
    is(rcmd('ZSCORE', 'ticket:revoked:jti', 'old-jti'), undef,
       'prune: a jti whose exp is long past is gone');
    is(rcmd('ZSCORE', 'ticket:revoked:jti', 'recent-jti'), $now - 60,
       'prune: a jti within the margin stays');
    is(rcmd('ZSCORE', 'ticket:revoked:jti', 'j-1'), $now + 600,
       'prune: a live jti stays');
}


# ---- --list --------------------------------------------------------------

rcmd('HSET', 'ticket:revoked:sub', "evil\nrow", '5');
rcmd('SADD', 'ticket:revoked:kid', "k \x1b[31m");

{
    my ($rc, $out, $err) = revoke('--list');
    is($rc, 0, 'list: exit 0') or diag($err);
    my @lines = split /\n/, $out;
    my $exp = $now + 600;
    ok((grep { $_ eq "jti  j-1  exp $exp" } @lines), 'list: jti row');
    ok((grep { /^sub  acme\/alice  at \d+\z/ } @lines), 'list: sub row');
    ok((grep { $_ eq 'sub  /bob  at 1700000000' } @lines),
       'list: sub row without tenant');
    ok((grep { $_ eq 'sid  phone-7  at 1700000100' } @lines), 'list: sid');
    ok((grep { $_ eq 'tenant  globex  at 1700000200' } @lines),
       'list: tenant');
    ok((grep { $_ eq 'kid  k-2024' } @lines), 'list: kid');
    ok((grep { $_ eq 'sub  evil\x0arow  at 5' } @lines),
       'list: a newline in a member escaped');
    ok((grep { $_ eq 'kid  k\x20\x1b[31m' } @lines),
       'list: escape byte and space escaped');
    unlike($out, qr/\x1b/, 'list: no raw control bytes');
    my ($ev) = grep { /^events / } @lines;
    my $last = last_event()->[0];
    is($ev, "events  length 9  last-id $last", 'list: stream length, last id');
    is(scalar(@lines), 12, 'list: one line per row');
}

{
    my ($rc, $out, $err) = revoke('--list', '--json');
    is($rc, 0, 'list --json: exit 0');
    my $j = eval { decode_json($out) };
    ok($j, 'list --json: valid JSON') or diag($@, $out);
    $j //= {};
    my %jti = map { $_->{member} => $_->{exp} } @{$j->{jti} // []};
    is($jti{'j-1'}, $now + 600, 'list --json: jti with exp');
    my %sub = map { $_->{member} => $_->{at} } @{$j->{sub} // []};
    is($sub{'/bob'}, 1700000000, 'list --json: sub with cut-off');
    is($sub{"evil\nrow"}, 5, 'list --json: escaped member round-trips');
    is($j->{sid}[0]{at}, 1700000100, 'list --json: sid');
    is($j->{tenant}[0]{member}, 'globex', 'list --json: tenant');
    is_deeply([sort @{$j->{kid} // []}], ["k \x1b[31m", 'k-2024', 'k-prune'],
              'list --json: kids');
    is_deeply($j->{events}, { length => 9, last_id => last_event()->[0] },
              'list --json: events');
}


# ---- WRONGTYPE: nothing written, not even the entry ---------------------

{
    rcmd('DEL', 'ticket:revoked:sub');
    rcmd('SET', 'ticket:revoked:sub', 'oops');
    rcmd('ZADD', 'ticket:revoked:jti', $now - 7200, 'old-jti-2');
    my $len = rcmd('XLEN', 'ticket:events');
    my ($rc, $out, $err) = revoke('--sub', 'carol');
    is($rc, 2, 'WRONGTYPE: exit 2');
    like($err,
         qr/\Aticketctl: revoke: redis \Q$addr\E: [^\n]*WRONGTYPE[^\n]*\n\z/,
         'WRONGTYPE: one line naming it') or diag($err);
    is($out, '', 'WRONGTYPE: nothing on stdout');
    is(rcmd('XLEN', 'ticket:events'), $len, 'WRONGTYPE: no stream entry');
    is(rcmd('GET', 'ticket:revoked:sub'), 'oops', 'WRONGTYPE: key untouched');
    is(rcmd('ZSCORE', 'ticket:revoked:jti', 'old-jti-2'), $now - 7200,
       'WRONGTYPE: not even pruned');

    rcmd('SET', 'ticket:events', 'not a stream');
    ($rc, $out, $err) = revoke('--kid', 'k-x');
    ok($rc == 2 && $err =~ /WRONGTYPE/, 'WRONGTYPE stream: exit 2');
    is(rcmd('SISMEMBER', 'ticket:revoked:kid', 'k-x'), 0,
       'WRONGTYPE stream: no change without its entry');

    ($rc, $out, $err) = revoke('--list');
    ok($rc == 2 && $err =~ /WRONGTYPE/, 'WRONGTYPE: --list fails, exit 2');
    rcmd('DEL', 'ticket:revoked:sub', 'ticket:events');
}


# ---- --db, --prefix ------------------------------------------------------

{
    my ($rc, $out, $err) = revoke('--db', '3', '--kid', 'k-db3');
    is($rc, 0, '--db 3: exit 0') or diag($err);
    is(rcmd({ db => 3 }, 'SISMEMBER', 'ticket:revoked:kid', 'k-db3'), 1,
       '--db 3: written into db 3');
    is(rcmd('SISMEMBER', 'ticket:revoked:kid', 'k-db3'), 0,
       '--db 3: not into db 0');
    is(last_event({ db => 3 })->[1]{member}, 'k-db3', '--db 3: entry in db 3');
}

{
    my ($rc, $out, $err) = revoke('--prefix', 'p:', '--sid', 'd-pref');
    is($rc, 0, '--prefix: exit 0');
    is(rcmd('TYPE', 'p:revoked:sid'), 'hash', '--prefix: p:revoked:sid');
    is(last_event('p:events')->[1]{member}, 'd-pref', '--prefix: p:events');
    is(rcmd('HEXISTS', 'ticket:revoked:sid', 'd-pref'), 0,
       '--prefix: not under ticket:');
}


# ---- connection failures -------------------------------------------------

{
    my $free = $t->port('nothing');
    my ($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                         "127.0.0.1:$free", '--kid', 'k');
    is($rc, 2, 'refused: exit 2');
    is($err, "ticketctl: revoke: redis 127.0.0.1:$free: Connection refused\n",
       'refused: one line');

    ($rc, $out, $err) = $t->ticketctl('revoke', '--redis', 'nocolon',
                                      '--kid', 'k');
    ok($rc == 2 && $err =~ /host:port/, 'address without port: exit 2');

    ($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                      "unix:" . $t->dir . "/none.sock",
                                      '--list');
    ok($rc == 2 && $err =~ /^ticketctl: revoke: redis unix:\S+: No such file/,
       'missing unix socket: exit 2') or diag($err);
}

{
    # a server that accepts and never answers: the command timeout
    kill 'STOP', $t->redis_pid;
    my $t0 = time;
    my ($rc, $out, $err) = revoke('--list');
    kill 'CONT', $t->redis_pid;
    is($rc, 2, 'no answer: exit 2');
    like($err,
         qr/\Aticketctl: revoke: redis \Q$addr\E: \S+: timed out[^\n]*\n\z/,
         'no answer: timed out, one line') or diag($err);
}

$t->stop_redis;


# ---- AUTH ----------------------------------------------------------------

{
    # TicketTest's start_redis waits for a PONG, which a server started
    # with --requirepass never gives: the password is set once it runs.
    my $a = TicketTest->new;
    my $sock = $a->dir . '/redis.sock';
    my $aport = $a->start_redis(args => ['--unixsocket', $sock]);
    is(rcmd({ port => $aport }, 'CONFIG', 'SET', 'requirepass', 'sekret'),
       'OK', 'AUTH: a redis with requirepass');
    my $pw = $a->write_file('pw', "sekret\n", 0600);
    my $bad = $a->write_file('bad', "wrong\n", 0600);
    my $aaddr = "127.0.0.1:$aport";

    my ($rc, $out, $err) = $a->ticketctl('revoke', '--redis', $aaddr,
                                         '--password-file', $pw,
                                         '--kid', 'k-auth');
    is($rc, 0, 'AUTH: with the password file') or diag($err);
    is(rcmd({ port => $aport, auth => 'sekret' }, 'SISMEMBER',
            'ticket:revoked:kid', 'k-auth'), 1, 'AUTH: written');

    ($rc, $out, $err) = $a->ticketctl('revoke', '--redis', $aaddr,
                                      '--password-file', $pw, '--list');
    ok($rc == 0 && $out =~ /^kid  k-auth$/m, 'AUTH: --list');

    ($rc, $out, $err) = $a->ticketctl('revoke', '--redis', "unix:$sock",
                                      '--password-file', $pw, '--list');
    ok($rc == 0 && $out =~ /^kid  k-auth$/m, 'unix socket: --list')
        or diag($err);

    ($rc, $out, $err) = $a->ticketctl('revoke', '--redis', $aaddr,
                                      '--kid', 'k-noauth');
    is($rc, 2, 'no AUTH: exit 2');
    like($err, qr/\Aticketctl: revoke: redis \Q$aaddr\E: NOAUTH[^\n]*\n\z/,
         'no AUTH: NOAUTH in one line');

    ($rc, $out, $err) = $a->ticketctl('revoke', '--redis', $aaddr,
                                      '--password-file', $bad,
                                      '--kid', 'k-bad');
    is($rc, 2, 'wrong password: exit 2');
    like($err, qr/\Aticketctl: revoke: redis \Q$aaddr\E: AUTH: [^\n]+\n\z/,
         'wrong password: one line');
    unlike($err, qr/wrong|sekret/, 'wrong password: no password echoed');

    ($rc, $out, $err) = $a->ticketctl('revoke', '--redis', $aaddr,
                                      '--password-file',
                                      $a->dir . '/missing', '--kid', 'k');
    ok($rc == 2 && $err =~ /cannot read/, 'missing password file: exit 2');

    is(rcmd({ port => $aport, auth => 'sekret' }, 'SCARD',
            'ticket:revoked:kid'), 1, 'failed AUTH wrote nothing');

    $a->stop_redis;
}
